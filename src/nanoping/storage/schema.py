"""The node database schema, one migration per version; append, never edit a shipped one."""

MIGRATIONS: tuple[str, ...] = (
    # 1: the local node's identity and the name/metadata set through setNode.
    """
    CREATE TABLE local_node (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        id TEXT NOT NULL,
        name TEXT,
        metadata BLOB NOT NULL DEFAULT x''
    );
    """,
)
