/* Per-packet bookkeeping of the AEAD wire format around cryptography's cipher objects.
 *
 * The cipher work stays in cryptography (OpenSSL); its encrypt/decrypt are called from here on
 * bytes (the argument type it takes fastest). What this module saves is the Python work around
 * each call: packing the header, slicing nonce, ciphertext and associated data, checking the
 * replay windows and counting. The format and the rules are those of aead.py's docstring:
 *
 *     0x50 | suite (1) | salt (4) | counter (8) | ciphertext || tag (16)
 *
 * the 14-byte header is the associated data and the nonce is salt || counter. An opener keeps
 * one replay window (the last REPLAY_WINDOW counters) for each of the last SALTS_KEPT salts it
 * authenticated a packet of, dropping the least recently used.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define PACKET_TYPE 0x50
#define HEADER_SIZE 14
#define NONCE_SIZE 12
#define TAG_SIZE 16
#define MIN_SIZE (HEADER_SIZE + TAG_SIZE)
#define REPLAY_WINDOW 1024
#define SALTS_KEPT 8
#define NO_COUNTER UINT64_MAX /* slot never marked (a marked UINT64_MAX is at the top: see seen) */

static PyObject *payload_name; /* "payload", interned */

static void pack_header(uint8_t *out, int suite, uint32_t salt, uint64_t counter)
{
    out[0] = PACKET_TYPE;
    out[1] = (uint8_t)suite;
    for (int i = 0; i < 4; i++) out[2 + i] = (uint8_t)(salt >> (24 - 8 * i));
    for (int i = 0; i < 8; i++) out[6 + i] = (uint8_t)(counter >> (56 - 8 * i));
}

static uint64_t read_be(const uint8_t *p, int n)
{
    uint64_t value = 0;
    for (int i = 0; i < n; i++) value = (value << 8) | p[i];
    return value;
}

/* The datagram header || encrypt(salt || counter, payload, header), or NULL with an error. */
static PyObject *seal_one(PyObject *encrypt, int suite, uint32_t salt, uint64_t counter,
                          PyObject *payload)
{
    uint8_t header[HEADER_SIZE];
    pack_header(header, suite, salt, counter);
    PyObject *args[3];
    args[0] = PyBytes_FromStringAndSize((const char *)header + 2, NONCE_SIZE);
    args[1] = payload;
    args[2] = PyBytes_FromStringAndSize((const char *)header, HEADER_SIZE);
    PyObject *sealed = NULL, *out = NULL;
    if (args[0] && args[2]) sealed = PyObject_Vectorcall(encrypt, args, 3, NULL);
    Py_XDECREF(args[0]);
    Py_XDECREF(args[2]);
    if (sealed == NULL) return NULL;
    if (!PyBytes_Check(sealed)) {
        PyErr_SetString(PyExc_TypeError, "encrypt did not return bytes");
    } else {
        Py_ssize_t size = PyBytes_GET_SIZE(sealed);
        out = PyBytes_FromStringAndSize(NULL, HEADER_SIZE + size);
        if (out) {
            char *dst = PyBytes_AS_STRING(out);
            memcpy(dst, header, HEADER_SIZE);
            memcpy(dst + HEADER_SIZE, PyBytes_AS_STRING(sealed), size);
        }
    }
    Py_DECREF(sealed);
    return out;
}

static int parse_seal_args(PyObject *const *args, Py_ssize_t nargs, int *suite, uint32_t *salt,
                           uint64_t *first)
{
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "expected (encrypt, suite, salt, first, items)");
        return -1;
    }
    long s = PyLong_AsLong(args[1]);
    unsigned long long a = PyLong_AsUnsignedLongLong(args[2]);
    unsigned long long f = PyLong_AsUnsignedLongLong(args[3]);
    if (PyErr_Occurred()) return -1;
    if (s < 0 || s > 255 || a > UINT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "suite must fit a byte and salt 32 bits");
        return -1;
    }
    *suite = (int)s;
    *salt = (uint32_t)a;
    *first = f;
    return 0;
}

static PyObject *aead_seal(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    int suite;
    uint32_t salt;
    uint64_t counter;
    if (parse_seal_args(args, nargs, &suite, &salt, &counter) < 0) return NULL;
    PyObject *seq = PySequence_Fast(args[4], "payloads must be a sequence");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    PyObject *out = PyList_New(n);
    for (Py_ssize_t i = 0; out && i < n; i++) {
        PyObject *sealed = seal_one(args[0], suite, salt, counter + (uint64_t)i, items[i]);
        if (sealed == NULL) Py_CLEAR(out);
        else PyList_SET_ITEM(out, i, sealed);
    }
    Py_DECREF(seq);
    return out;
}

static PyObject *aead_seal_packets(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    int suite;
    uint32_t salt;
    uint64_t counter;
    if (parse_seal_args(args, nargs, &suite, &salt, &counter) < 0) return NULL;
    PyObject *seq = PySequence_Fast(args[4], "packets must be a sequence");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    int failed = 0;
    for (Py_ssize_t i = 0; !failed && i < n; i++) {
        PyObject *payload = PyObject_GetAttr(items[i], payload_name);
        if (payload == NULL) {
            failed = 1;
            break;
        }
        PyObject *sealed = seal_one(args[0], suite, salt, counter + (uint64_t)i, payload);
        Py_DECREF(payload);
        failed = sealed == NULL || PyObject_SetAttr(items[i], payload_name, sealed) < 0;
        Py_XDECREF(sealed);
    }
    Py_DECREF(seq);
    if (failed) return NULL;
    Py_RETURN_NONE;
}

/* ---- opening ------------------------------------------------------------------------------ */

typedef struct {
    uint64_t salt;
    uint64_t used;    /* when a packet of this salt last passed: the oldest goes first */
    uint64_t highest; /* valid only when any */
    int any;
    uint64_t slots[REPLAY_WINDOW]; /* slot c % size: the last counter marked there */
} Window;

typedef struct {
    PyObject_HEAD
    PyObject *decrypt;
    PyObject *invalid_tag;
    int suite;
    uint64_t clock;
    int windows_used;
    Window windows[SALTS_KEPT];
    unsigned long long opened, auth_failures, replayed, malformed, wrong_suite;
} OpenerCore;

static Window *find_window(OpenerCore *self, uint64_t salt)
{
    for (int i = 0; i < self->windows_used; i++)
        if (self->windows[i].salt == salt) return &self->windows[i];
    return NULL;
}

/* True when counter was seen already or is too far behind to tell. */
static int seen(const Window *w, uint64_t counter)
{
    if (!w->any || counter > w->highest) return 0;
    return w->highest - counter >= REPLAY_WINDOW || w->slots[counter % REPLAY_WINDOW] == counter;
}

static Window *take_window(OpenerCore *self, uint64_t salt)
{
    Window *w = find_window(self, salt);
    if (w == NULL) {
        if (self->windows_used < SALTS_KEPT) {
            w = &self->windows[self->windows_used++];
        } else {
            w = &self->windows[0];
            for (int i = 1; i < SALTS_KEPT; i++)
                if (self->windows[i].used < w->used) w = &self->windows[i];
        }
        w->salt = salt;
        w->any = 0;
        for (int i = 0; i < REPLAY_WINDOW; i++) w->slots[i] = NO_COUNTER;
    }
    w->used = ++self->clock;
    return w;
}

static void mark(Window *w, uint64_t counter)
{
    w->slots[counter % REPLAY_WINDOW] = counter;
    if (!w->any || counter > w->highest) w->highest = counter;
    w->any = 1;
}

static PyObject *bytes_at(const uint8_t *p, Py_ssize_t n)
{
    return PyBytes_FromStringAndSize((const char *)p, n);
}

/* The payload of datagram (new reference); Py_None (new reference) when it is dropped, the
 * counters saying why; NULL on an error other than a failed authentication. */
static PyObject *open_one(OpenerCore *self, PyObject *datagram)
{
    Py_buffer view;
    if (PyObject_GetBuffer(datagram, &view, PyBUF_SIMPLE) < 0) return NULL;
    const uint8_t *p = view.buf;
    PyObject *result = Py_None;
    if (view.len < MIN_SIZE || p[0] != PACKET_TYPE) {
        self->malformed++;
    } else if (p[1] != self->suite) {
        self->wrong_suite++;
    } else {
        uint64_t salt = read_be(p + 2, 4), counter = read_be(p + 6, 8);
        Window *w = find_window(self, salt);
        if (w != NULL && seen(w, counter)) {
            self->replayed++;
        } else {
            PyObject *args[3] = {bytes_at(p + 2, NONCE_SIZE),
                                 bytes_at(p + HEADER_SIZE, view.len - HEADER_SIZE),
                                 bytes_at(p, HEADER_SIZE)};
            result = NULL;
            if (args[0] && args[1] && args[2])
                result = PyObject_Vectorcall(self->decrypt, args, 3, NULL);
            for (int i = 0; i < 3; i++) Py_XDECREF(args[i]);
            if (result != NULL) {
                mark(take_window(self, salt), counter);
                self->opened++;
            } else if (PyErr_ExceptionMatches(self->invalid_tag)) {
                PyErr_Clear();
                self->auth_failures++;
                result = Py_None;
            }
        }
    }
    PyBuffer_Release(&view);
    if (result == Py_None) Py_INCREF(result);
    return result;
}

static PyObject *core_open(OpenerCore *self, PyObject *datagram)
{
    return open_one(self, datagram);
}

static PyObject *core_open_batch(OpenerCore *self, PyObject *datagrams)
{
    PyObject *seq = PySequence_Fast(datagrams, "datagrams must be a sequence");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    PyObject *payloads = PyList_New(0), *origins = PyList_New(0), *out = NULL;
    int failed = payloads == NULL || origins == NULL;
    for (Py_ssize_t i = 0; !failed && i < n; i++) {
        PyObject *payload = open_one(self, items[i]);
        if (payload == NULL) {
            failed = 1;
        } else if (payload != Py_None) {
            PyObject *origin = PyLong_FromSsize_t(i);
            failed = origin == NULL || PyList_Append(payloads, payload) < 0 ||
                     PyList_Append(origins, origin) < 0;
            Py_XDECREF(origin);
        }
        Py_XDECREF(payload);
    }
    if (!failed) out = PyTuple_Pack(2, payloads, origins);
    Py_XDECREF(payloads);
    Py_XDECREF(origins);
    Py_DECREF(seq);
    return out;
}

static PyObject *core_open_packets(OpenerCore *self, PyObject *packets)
{
    PyObject *seq = PySequence_Fast(packets, "packets must be a sequence");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    PyObject *kept = PyList_New(0);
    int failed = kept == NULL;
    for (Py_ssize_t i = 0; !failed && i < n; i++) {
        PyObject *datagram = PyObject_GetAttr(items[i], payload_name);
        PyObject *payload = datagram ? open_one(self, datagram) : NULL;
        Py_XDECREF(datagram);
        if (payload == NULL) {
            failed = 1;
        } else if (payload != Py_None) {
            failed = PyObject_SetAttr(items[i], payload_name, payload) < 0 ||
                     PyList_Append(kept, items[i]) < 0;
        }
        Py_XDECREF(payload);
    }
    Py_DECREF(seq);
    if (failed) Py_CLEAR(kept);
    return kept;
}

static PyObject *core_counters(OpenerCore *self, PyObject *unused)
{
    return Py_BuildValue("(KKKKK)", self->opened, self->auth_failures, self->replayed,
                         self->malformed, self->wrong_suite);
}

static int core_init(OpenerCore *self, PyObject *args, PyObject *kwargs)
{
    PyObject *decrypt, *invalid_tag;
    int suite;
    static char *names[] = {"decrypt", "invalid_tag", "suite", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOi", names, &decrypt, &invalid_tag, &suite))
        return -1;
    if (!PyCallable_Check(decrypt) || !PyExceptionClass_Check(invalid_tag)) {
        PyErr_SetString(PyExc_TypeError, "decrypt must be callable, invalid_tag an exception");
        return -1;
    }
    Py_INCREF(decrypt);
    Py_INCREF(invalid_tag);
    Py_XSETREF(self->decrypt, decrypt);
    Py_XSETREF(self->invalid_tag, invalid_tag);
    self->suite = suite;
    self->clock = 0;
    self->windows_used = 0;
    self->opened = self->auth_failures = self->replayed = self->malformed = self->wrong_suite = 0;
    return 0;
}

static int core_traverse(OpenerCore *self, visitproc visit, void *arg)
{
    Py_VISIT(self->decrypt);
    Py_VISIT(self->invalid_tag);
    return 0;
}

static int core_clear(OpenerCore *self)
{
    Py_CLEAR(self->decrypt);
    Py_CLEAR(self->invalid_tag);
    return 0;
}

static void core_dealloc(OpenerCore *self)
{
    PyObject_GC_UnTrack(self);
    core_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef core_methods[] = {
    {"open", (PyCFunction)core_open, METH_O, "The payload of one datagram, or None if dropped."},
    {"open_batch", (PyCFunction)core_open_batch, METH_O,
     "(payloads, origins): the payloads that passed and the index of each one's datagram."},
    {"open_packets", (PyCFunction)core_open_packets, METH_O,
     "The packets that passed, their payload replaced by the plaintext."},
    {"counters", (PyCFunction)core_counters, METH_NOARGS,
     "(opened, auth_failures, replayed, malformed, wrong_suite)."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject OpenerCoreType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "nanoping.fec._aead.OpenerCore",
    .tp_basicsize = sizeof(OpenerCore),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Replay windows and counters of one opener around a cipher's decrypt.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)core_init,
    .tp_dealloc = (destructor)core_dealloc,
    .tp_traverse = (traverseproc)core_traverse,
    .tp_clear = (inquiry)core_clear,
    .tp_methods = core_methods,
};

static PyMethodDef module_methods[] = {
    {"seal", (PyCFunction)(void (*)(void))aead_seal, METH_FASTCALL,
     "seal(encrypt, suite, salt, first, payloads): the sealed datagrams, counters from first."},
    {"seal_packets", (PyCFunction)(void (*)(void))aead_seal_packets, METH_FASTCALL,
     "seal_packets(encrypt, suite, salt, first, packets): seal each packet's payload in place."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_aead", "AEAD datagram bookkeeping around cryptography's ciphers.",
    -1, module_methods,
};

PyMODINIT_FUNC PyInit__aead(void)
{
    payload_name = PyUnicode_InternFromString("payload");
    if (payload_name == NULL || PyType_Ready(&OpenerCoreType) < 0) return NULL;
    PyObject *module = PyModule_Create(&module_def);
    if (module == NULL) return NULL;
    Py_INCREF(&OpenerCoreType);
    if (PyModule_AddObject(module, "OpenerCore", (PyObject *)&OpenerCoreType) < 0) {
        Py_DECREF(&OpenerCoreType);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
