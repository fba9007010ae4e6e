/* The data plane's Packet type, in C because every datagram makes one.
 *
 * A Packet is three references: the payload (the datagram's bytes), the time it entered the
 * run, and optional metadata (a PacketMeta, made on first use). As a Python class with
 * __slots__ and an __init__ it cost about 0.2 us to make, as much as the whole per-packet
 * budget of a codec component beside its native call; made here through vectorcall it costs
 * a few tens of nanoseconds. packet.py documents the type and registers the PacketMeta class
 * this module makes metadata from (set_meta_type), so the rules stay in one Python file.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

/* Three plain object slots (T_OBJECT_EX members): the interpreter specialises reading and
 * writing them as it does a Python class's __slots__, so packet.payload costs no more than
 * before. */
typedef struct {
    PyObject_HEAD
    PyObject *payload;
    PyObject *created;
    PyObject *meta; /* None while nobody has set any */
} Packet;

static PyTypeObject PacketType;
static PyObject *meta_type;  /* PacketMeta, registered by packet.py */
static PyObject *copied_name; /* "copied": PacketMeta's own copy for derive */

static PyObject *make(PyTypeObject *type, PyObject *payload, PyObject *created, PyObject *meta)
{
    Packet *self = PyObject_GC_New(Packet, type);
    if (self == NULL) return NULL;
    self->payload = Py_NewRef(payload);
    self->created = Py_NewRef(created);
    self->meta = Py_NewRef(meta);
    PyObject_GC_Track(self);
    return (PyObject *)self;
}

static PyObject *packet_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *names[] = {"payload", "created", "meta", NULL};
    PyObject *payload, *created, *meta = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|O:Packet", names, &payload, &created,
                                     &meta))
        return NULL;
    return make(type, payload, created, meta);
}

/* Packet(payload, created[, meta]) without building an argument tuple: the common call. */
static PyObject *packet_vectorcall(PyObject *type, PyObject *const *args, size_t nargsf,
                                   PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (kwnames != NULL && PyTuple_GET_SIZE(kwnames) > 0) {
        PyObject *tuple = PyTuple_New(nargs), *dict = PyDict_New();
        PyObject *out = NULL;
        if (tuple != NULL && dict != NULL) {
            int failed = 0;
            for (Py_ssize_t i = 0; i < nargs; i++) PyTuple_SET_ITEM(tuple, i, Py_NewRef(args[i]));
            for (Py_ssize_t i = 0; !failed && i < PyTuple_GET_SIZE(kwnames); i++)
                failed = PyDict_SetItem(dict, PyTuple_GET_ITEM(kwnames, i), args[nargs + i]) < 0;
            if (!failed) out = packet_new((PyTypeObject *)type, tuple, dict);
        }
        Py_XDECREF(tuple);
        Py_XDECREF(dict);
        return out;
    }
    if (nargs < 2 || nargs > 3) {
        PyErr_Format(PyExc_TypeError, "Packet() takes payload, created and an optional meta (%zd given)",
                     nargs);
        return NULL;
    }
    return make((PyTypeObject *)type, args[0], args[1], nargs == 3 ? args[2] : Py_None);
}

static int packet_traverse(Packet *self, visitproc visit, void *arg)
{
    Py_VISIT(self->payload);
    Py_VISIT(self->created);
    Py_VISIT(self->meta);
    return 0;
}

static int packet_clear(Packet *self)
{
    Py_CLEAR(self->payload);
    Py_CLEAR(self->created);
    Py_CLEAR(self->meta);
    return 0;
}

static void packet_dealloc(Packet *self)
{
    PyObject_GC_UnTrack(self);
    Py_TRASHCAN_BEGIN(self, packet_dealloc)
    packet_clear(self);
    PyObject_GC_Del(self);
    Py_TRASHCAN_END
}

static PyObject *packet_get_info(Packet *self, void *closure)
{
    if (self->meta == NULL || self->meta == Py_None) { /* NULL: deleted, as a slot can be */
        if (meta_type == NULL) {
            PyErr_SetString(PyExc_RuntimeError, "no metadata type registered (set_meta_type)");
            return NULL;
        }
        PyObject *meta = PyObject_CallNoArgs(meta_type);
        if (meta == NULL) return NULL;
        Py_XSETREF(self->meta, meta);
    }
    return Py_NewRef(self->meta);
}

static PyObject *packet_derive(Packet *self, PyObject *const *args, Py_ssize_t nargs,
                               PyObject *kwnames)
{
    PyObject *payload = Py_None;
    if (nargs > 1 || (kwnames != NULL && PyTuple_GET_SIZE(kwnames) > 0 &&
                      (nargs + PyTuple_GET_SIZE(kwnames) > 1 ||
                       PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0),
                                                        "payload") != 0))) {
        PyErr_SetString(PyExc_TypeError, "derive() takes one optional argument, payload");
        return NULL;
    }
    if (nargs == 1 || (kwnames != NULL && PyTuple_GET_SIZE(kwnames) == 1)) payload = args[0];
    if (payload == Py_None) payload = self->payload;
    if (payload == NULL || self->created == NULL) {
        PyErr_SetString(PyExc_AttributeError, "derive() of a packet whose slots were deleted");
        return NULL;
    }
    PyObject *meta = self->meta ? self->meta : Py_None;
    if (meta != Py_None) {
        meta = PyObject_CallMethodNoArgs(meta, copied_name);
        if (meta == NULL) return NULL;
    } else {
        Py_INCREF(meta);
    }
    PyObject *out = make(Py_TYPE(self), payload, self->created, meta);
    Py_DECREF(meta);
    return out;
}

static PyObject *packet_repr(Packet *self)
{
    Py_ssize_t size = self->payload ? PyObject_Length(self->payload) : 0;
    if (size < 0) {
        PyErr_Clear();
        size = 0;
    }
    double when = self->created ? PyFloat_AsDouble(self->created) : 0.0;
    if (when == -1.0 && PyErr_Occurred()) PyErr_Clear();
    char *created = PyOS_double_to_string(when, 'f', 6, 0, NULL);
    if (created == NULL) return NULL;
    PyObject *out;
    if (self->meta != NULL && self->meta != Py_None)
        out = PyUnicode_FromFormat("Packet(%zd bytes, created=%s, %R)", size, created, self->meta);
    else
        out = PyUnicode_FromFormat("Packet(%zd bytes, created=%s)", size, created);
    PyMem_Free(created);
    return out;
}

static PyMemberDef packet_members[] = {
    {"payload", T_OBJECT_EX, offsetof(Packet, payload), 0,
     "Datagram bytes, headers of trackers included."},
    {"created", T_OBJECT_EX, offsetof(Packet, created), 0,
     "Clock time (seconds) at which the packet entered this run."},
    {"meta", T_OBJECT_EX, offsetof(Packet, meta), 0, "Metadata, or None while nobody has set any."},
    {NULL},
};

static PyGetSetDef packet_getset[] = {
    {"info", (getter)packet_get_info, NULL, "The packet's metadata, created empty on first use.",
     NULL},
    {NULL},
};

static PyMethodDef packet_methods[] = {
    {"derive", (PyCFunction)(void (*)(void))packet_derive, METH_FASTCALL | METH_KEYWORDS,
     "A new packet sharing this one's bytes (or taking payload) with a copy of its metadata."},
    {NULL},
};

static PyTypeObject PacketType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "nanoping.dataplane.packet.Packet",
    .tp_basicsize = sizeof(Packet),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "One packet inside a pipeline: payload, creation time and optional metadata.",
    .tp_new = packet_new,
    .tp_vectorcall = packet_vectorcall,
    .tp_dealloc = (destructor)packet_dealloc,
    .tp_traverse = (traverseproc)packet_traverse,
    .tp_clear = (inquiry)packet_clear,
    .tp_repr = (reprfunc)packet_repr,
    .tp_members = packet_members,
    .tp_getset = packet_getset,
    .tp_methods = packet_methods,
};

static PyObject *set_meta_type(PyObject *module, PyObject *type)
{
    if (!PyCallable_Check(type)) {
        PyErr_SetString(PyExc_TypeError, "the metadata type must be callable");
        return NULL;
    }
    Py_XSETREF(meta_type, Py_NewRef(type));
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"set_meta_type", (PyCFunction)set_meta_type, METH_O,
     "Register the class Packet.info makes metadata from (called once by packet.py)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_packet", "The data plane's Packet type.", -1, module_methods,
};

PyMODINIT_FUNC PyInit__packet(void)
{
    copied_name = PyUnicode_InternFromString("copied");
    if (copied_name == NULL || PyType_Ready(&PacketType) < 0) return NULL;
    PyObject *module = PyModule_Create(&module_def);
    if (module == NULL) return NULL;
    if (PyModule_AddObjectRef(module, "Packet", (PyObject *)&PacketType) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
