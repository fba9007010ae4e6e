/* GF(2^8) buffer arithmetic for the FEC codecs (field polynomial x^8+x^4+x^3+x^2+1, 0x11D).
 *
 * Python does the bookkeeping; this module does the only heavy loop, "dst ^= coef * src" over
 * packet-sized buffers, with the split-nibble table method on AVX2 or SSSE3 when the CPU has
 * them (chosen at import) and a 256-entry row of the product table otherwise. It also draws
 * the codecs' coding coefficients from TinyMT32 (RFC 8682), which is per-repair work too.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define NP_X86 1
#endif

static uint8_t gf_exp[512];
static uint8_t gf_log[256];
static uint8_t gf_mul_table[256][256];
static int use_avx2 = 0;
static int use_ssse3 = 0;

static void build_tables(void)
{
    unsigned value = 1;
    for (int i = 0; i < 255; i++) {
        gf_exp[i] = (uint8_t)value;
        gf_log[value] = (uint8_t)i;
        value <<= 1;
        if (value & 0x100) value ^= 0x11D;
    }
    for (int i = 255; i < 512; i++) gf_exp[i] = gf_exp[i - 255];
    for (int a = 0; a < 256; a++)
        for (int b = 0; b < 256; b++)
            gf_mul_table[a][b] = (a && b) ? gf_exp[gf_log[a] + gf_log[b]] : 0;
}

static void muladd_scalar(uint8_t *dst, const uint8_t *src, Py_ssize_t n, uint8_t coef)
{
    const uint8_t *row = gf_mul_table[coef];
    for (Py_ssize_t i = 0; i < n; i++) dst[i] ^= row[src[i]];
}

#ifdef NP_X86
/* Products of coef with every low nibble and every high nibble: a byte's product is the XOR
 * of one entry of each, so one 16-byte shuffle per half does 16 (or 32) bytes at a time. */
static void nibble_tables(uint8_t coef, uint8_t low[16], uint8_t high[16])
{
    for (int i = 0; i < 16; i++) {
        low[i] = gf_mul_table[coef][i];
        high[i] = gf_mul_table[coef][i << 4];
    }
}

__attribute__((target("avx2"))) static Py_ssize_t
muladd_avx2(uint8_t *dst, const uint8_t *src, Py_ssize_t n, uint8_t coef)
{
    uint8_t low[16], high[16];
    nibble_tables(coef, low, high);
    const __m256i tlow = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)low));
    const __m256i thigh = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)high));
    const __m256i mask = _mm256_set1_epi8(0x0f);
    Py_ssize_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i s = _mm256_loadu_si256((const __m256i *)(src + i));
        __m256i lo = _mm256_shuffle_epi8(tlow, _mm256_and_si256(s, mask));
        __m256i hi = _mm256_shuffle_epi8(thigh, _mm256_and_si256(_mm256_srli_epi64(s, 4), mask));
        __m256i d = _mm256_loadu_si256((const __m256i *)(dst + i));
        _mm256_storeu_si256((__m256i *)(dst + i), _mm256_xor_si256(d, _mm256_xor_si256(lo, hi)));
    }
    return i;
}

__attribute__((target("ssse3"))) static Py_ssize_t
muladd_ssse3(uint8_t *dst, const uint8_t *src, Py_ssize_t n, uint8_t coef)
{
    uint8_t low[16], high[16];
    nibble_tables(coef, low, high);
    const __m128i tlow = _mm_loadu_si128((const __m128i *)low);
    const __m128i thigh = _mm_loadu_si128((const __m128i *)high);
    const __m128i mask = _mm_set1_epi8(0x0f);
    Py_ssize_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m128i s = _mm_loadu_si128((const __m128i *)(src + i));
        __m128i lo = _mm_shuffle_epi8(tlow, _mm_and_si128(s, mask));
        __m128i hi = _mm_shuffle_epi8(thigh, _mm_and_si128(_mm_srli_epi64(s, 4), mask));
        __m128i d = _mm_loadu_si128((const __m128i *)(dst + i));
        _mm_storeu_si128((__m128i *)(dst + i), _mm_xor_si128(d, _mm_xor_si128(lo, hi)));
    }
    return i;
}
#endif

static void xor_into(uint8_t *dst, const uint8_t *src, Py_ssize_t n)
{
    Py_ssize_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t a, b;
        memcpy(&a, dst + i, 8);
        memcpy(&b, src + i, 8);
        a ^= b;
        memcpy(dst + i, &a, 8);
    }
    for (; i < n; i++) dst[i] ^= src[i];
}

/* dst[0:n] ^= coef * src[0:n] */
static void muladd(uint8_t *dst, const uint8_t *src, Py_ssize_t n, uint8_t coef)
{
    if (coef == 0 || n <= 0) return;
    if (coef == 1) {
        xor_into(dst, src, n);
        return;
    }
    Py_ssize_t done = 0;
#ifdef NP_X86
    if (use_avx2) done = muladd_avx2(dst, src, n, coef);
    else if (use_ssse3) done = muladd_ssse3(dst, src, n, coef);
#endif
    muladd_scalar(dst + done, src + done, n - done, coef);
}

static int parse_coef(PyObject *value, uint8_t *out)
{
    long coef = PyLong_AsLong(value);
    if (coef == -1 && PyErr_Occurred()) return -1;
    if (coef < 0 || coef > 255) {
        PyErr_Format(PyExc_ValueError, "coefficient must be in 0..255, got %ld", coef);
        return -1;
    }
    *out = (uint8_t)coef;
    return 0;
}

static int check_fits(Py_ssize_t src_len, Py_ssize_t dst_len)
{
    if (src_len > dst_len) {
        PyErr_Format(PyExc_ValueError, "source of %zd bytes does not fit a destination of %zd bytes",
                     src_len, dst_len);
        return -1;
    }
    return 0;
}

static PyObject *py_mul_add(PyObject *self, PyObject *args)
{
    Py_buffer dst, src;
    PyObject *coef_obj;
    uint8_t coef;
    if (!PyArg_ParseTuple(args, "w*y*O:mul_add", &dst, &src, &coef_obj)) return NULL;
    PyObject *result = NULL;
    if (parse_coef(coef_obj, &coef) == 0 && check_fits(src.len, dst.len) == 0) {
        muladd((uint8_t *)dst.buf, (const uint8_t *)src.buf, src.len, coef);
        result = Py_None;
        Py_INCREF(result);
    }
    PyBuffer_Release(&dst);
    PyBuffer_Release(&src);
    return result;
}

static int combine_one(uint8_t *dst, Py_ssize_t dst_len, PyObject *source, uint8_t coef)
{
    Py_buffer src;
    if (PyObject_GetBuffer(source, &src, PyBUF_SIMPLE) < 0) return -1;
    int status = check_fits(src.len, dst_len);
    if (status == 0) muladd(dst, (const uint8_t *)src.buf, src.len, coef);
    PyBuffer_Release(&src);
    return status;
}

static PyObject *py_combine(PyObject *self, PyObject *args)
{
    Py_buffer dst, coefs;
    PyObject *sources;
    if (!PyArg_ParseTuple(args, "w*Oy*:combine", &dst, &sources, &coefs)) return NULL;
    PyObject *result = NULL;
    PyObject *seq = PySequence_Fast(sources, "sources must be a sequence of buffers");
    if (seq != NULL) {
        Py_ssize_t count = PySequence_Fast_GET_SIZE(seq);
        if (count != coefs.len) {
            PyErr_Format(PyExc_ValueError, "%zd sources but %zd coefficients", count, coefs.len);
        } else {
            PyObject **items = PySequence_Fast_ITEMS(seq);
            const uint8_t *c = (const uint8_t *)coefs.buf;
            Py_ssize_t i = 0;
            for (; i < count; i++)
                if (combine_one((uint8_t *)dst.buf, dst.len, items[i], c[i]) < 0) break;
            if (i == count) {
                result = Py_None;
                Py_INCREF(result);
            }
        }
        Py_DECREF(seq);
    }
    PyBuffer_Release(&dst);
    PyBuffer_Release(&coefs);
    return result;
}

static PyObject *py_scale(PyObject *self, PyObject *args)
{
    Py_buffer buf;
    PyObject *coef_obj;
    uint8_t coef;
    if (!PyArg_ParseTuple(args, "w*O:scale", &buf, &coef_obj)) return NULL;
    PyObject *result = NULL;
    if (parse_coef(coef_obj, &coef) == 0) {
        const uint8_t *row = gf_mul_table[coef];
        uint8_t *p = (uint8_t *)buf.buf;
        for (Py_ssize_t i = 0; i < buf.len; i++) p[i] = row[p[i]];
        result = Py_None;
        Py_INCREF(result);
    }
    PyBuffer_Release(&buf);
    return result;
}

/* ---- TinyMT32 (RFC 8682) ---------------------------------------------------------------- */

typedef struct {
    uint32_t status[4];
    uint32_t mat1, mat2, tmat;
} tinymt32;

static void tinymt32_next(tinymt32 *s)
{
    uint32_t y = s->status[3];
    uint32_t x = (s->status[0] & 0x7fffffffU) ^ s->status[1] ^ s->status[2];
    x ^= x << 1;
    y ^= (y >> 1) ^ x;
    s->status[0] = s->status[1];
    s->status[1] = s->status[2];
    s->status[2] = x ^ (y << 10);
    s->status[3] = y;
    if (y & 1) {
        s->status[1] ^= s->mat1;
        s->status[2] ^= s->mat2;
    }
}

static uint32_t tinymt32_output(tinymt32 *s)
{
    tinymt32_next(s);
    uint32_t t0 = s->status[3];
    uint32_t t1 = s->status[0] + (s->status[2] >> 8);
    t0 ^= t1;
    if (t1 & 1) t0 ^= s->tmat;
    return t0;
}

static void tinymt32_seed(tinymt32 *s, uint32_t seed)
{
    s->mat1 = 0x8f7011eeU;
    s->mat2 = 0xfc78ff1fU;
    s->tmat = 0x3793fdffU;
    s->status[0] = seed;
    s->status[1] = s->mat1;
    s->status[2] = s->mat2;
    s->status[3] = s->tmat;
    for (uint32_t i = 1; i < 8; i++) {
        uint32_t prev = s->status[(i - 1) & 3];
        s->status[i & 3] ^= i + 1812433253U * (prev ^ (prev >> 30));
    }
    if ((s->status[0] & 0x7fffffffU) == 0 && s->status[1] == 0 && s->status[2] == 0 &&
        s->status[3] == 0) {
        s->status[0] = 'T';
        s->status[1] = 'I';
        s->status[2] = 'N';
        s->status[3] = 'Y';
    }
    for (int i = 0; i < 8; i++) tinymt32_next(s);
}

static PyObject *py_coefficients(PyObject *self, PyObject *args)
{
    unsigned long seed;
    Py_ssize_t count;
    if (!PyArg_ParseTuple(args, "kn:coefficients", &seed, &count)) return NULL;
    if (seed > 0xffffffffUL || count < 0 || count > 65536) {
        PyErr_SetString(PyExc_ValueError, "seed must fit 32 bits and count be in 0..65536");
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, count);
    if (out == NULL) return NULL;
    uint8_t *p = (uint8_t *)PyBytes_AS_STRING(out);
    tinymt32 state;
    tinymt32_seed(&state, (uint32_t)seed);
    for (Py_ssize_t i = 0; i < count; i++) {
        uint8_t value;
        do value = (uint8_t)(tinymt32_output(&state) & 0xff); while (value == 0);
        p[i] = value;
    }
    return out;
}

static PyObject *py_tinymt32(PyObject *self, PyObject *args)
{
    unsigned long seed;
    Py_ssize_t count;
    if (!PyArg_ParseTuple(args, "kn:tinymt32", &seed, &count)) return NULL;
    if (seed > 0xffffffffUL || count < 0 || count > 65536) {
        PyErr_SetString(PyExc_ValueError, "seed must fit 32 bits and count be in 0..65536");
        return NULL;
    }
    PyObject *out = PyList_New(count);
    if (out == NULL) return NULL;
    tinymt32 state;
    tinymt32_seed(&state, (uint32_t)seed);
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *value = PyLong_FromUnsignedLong(tinymt32_output(&state));
        if (value == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, i, value);
    }
    return out;
}

static PyObject *py_kernel(PyObject *self, PyObject *unused)
{
    return PyUnicode_FromString(use_avx2 ? "avx2" : use_ssse3 ? "ssse3" : "scalar");
}

static PyObject *py_set_kernel(PyObject *self, PyObject *args)
{
    const char *name;
    if (!PyArg_ParseTuple(args, "s:set_kernel", &name)) return NULL;
    int avx2 = 0, ssse3 = 0;
#ifdef NP_X86
    __builtin_cpu_init();
    avx2 = __builtin_cpu_supports("avx2");
    ssse3 = __builtin_cpu_supports("ssse3");
#endif
    if (strcmp(name, "scalar") == 0) {
        use_avx2 = use_ssse3 = 0;
    } else if (strcmp(name, "ssse3") == 0 && ssse3) {
        use_avx2 = 0;
        use_ssse3 = 1;
    } else if (strcmp(name, "avx2") == 0 && avx2) {
        use_avx2 = 1;
        use_ssse3 = 0;
    } else {
        PyErr_Format(PyExc_ValueError, "kernel %s is not available on this CPU", name);
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"mul_add", py_mul_add, METH_VARARGS, "dst[:len(src)] ^= coef * src over GF(2^8)."},
    {"combine", py_combine, METH_VARARGS, "dst ^= sum of coefs[i] * sources[i] over GF(2^8)."},
    {"scale", py_scale, METH_VARARGS, "buf *= coef over GF(2^8), in place."},
    {"coefficients", py_coefficients, METH_VARARGS, "count non-zero coefficients drawn from TinyMT32(seed)."},
    {"tinymt32", py_tinymt32, METH_VARARGS, "The first count 32-bit outputs of TinyMT32(seed)."},
    {"kernel", py_kernel, METH_NOARGS, "Name of the multiply-add kernel in use."},
    {"set_kernel", py_set_kernel, METH_VARARGS, "Choose the multiply-add kernel (for tests)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_gf256", "GF(2^8) buffer arithmetic for the FEC codecs.", -1, methods,
};

PyMODINIT_FUNC PyInit__gf256(void)
{
    build_tables();
#ifdef NP_X86
    __builtin_cpu_init();
    use_avx2 = __builtin_cpu_supports("avx2");
    use_ssse3 = __builtin_cpu_supports("ssse3");
#endif
    return PyModule_Create(&module);
}
