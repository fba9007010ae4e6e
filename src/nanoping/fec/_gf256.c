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

/* ---- block work in one call: framing, coding and decoding over whole blocks ------------------
 *
 * The codecs' symbols are "length (2 bytes, big-endian) || payload", zero-padded. These
 * functions take the payloads themselves and code the 2-byte prefix on the fly, so Python never
 * builds symbols: one call frames a batch of sources, makes a block's repairs, or rebuilds a
 * block's missing payloads.
 */

/* A list of buffers held for the length of one call. */
typedef struct {
    Py_ssize_t count;
    Py_buffer *views;
} buffer_list;

static void buffers_release(buffer_list *list)
{
    for (Py_ssize_t i = 0; i < list->count; i++) PyBuffer_Release(&list->views[i]);
    PyMem_Free(list->views);
    list->views = NULL;
    list->count = 0;
}

static int buffers_get(PyObject *sequence, buffer_list *list, const char *what)
{
    list->count = 0;
    list->views = NULL;
    PyObject *seq = PySequence_Fast(sequence, what);
    if (seq == NULL) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    list->views = PyMem_Calloc(n ? n : 1, sizeof(Py_buffer));
    if (list->views == NULL) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    PyObject **items = PySequence_Fast_ITEMS(seq);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (PyObject_GetBuffer(items[i], &list->views[i], PyBUF_SIMPLE) < 0) {
            Py_DECREF(seq);
            buffers_release(list);
            return -1;
        }
        list->count = i + 1;
    }
    Py_DECREF(seq);
    return 0;
}

/* dst (a symbol-sized area) ^= coef * symbol(payload): the length prefix, then the payload. */
static void muladd_prefixed(uint8_t *dst, const uint8_t *payload, Py_ssize_t len, uint8_t coef)
{
    if (coef == 0) return;
    dst[0] ^= gf_mul_table[coef][(len >> 8) & 0xff];
    dst[1] ^= gf_mul_table[coef][len & 0xff];
    muladd(dst + 2, payload, len, coef);
}

static PyObject *py_frame(PyObject *self, PyObject *args)
{
    Py_buffer prefix;
    int index_size;
    unsigned long long start;
    PyObject *payloads;
    if (!PyArg_ParseTuple(args, "y*iKO:frame", &prefix, &index_size, &start, &payloads)) return NULL;
    PyObject *out = NULL;
    buffer_list list;
    if (index_size != 2 && index_size != 4) {
        PyErr_SetString(PyExc_ValueError, "index_size must be 2 or 4");
    } else if (buffers_get(payloads, &list, "payloads must be a sequence of buffers") == 0) {
        out = PyList_New(list.count);
        unsigned long long mask = index_size == 2 ? 0xffffULL : 0xffffffffULL;
        for (Py_ssize_t i = 0; out != NULL && i < list.count; i++) {
            Py_ssize_t len = list.views[i].len;
            PyObject *item = PyBytes_FromStringAndSize(NULL, prefix.len + index_size + len);
            if (item == NULL) {
                Py_CLEAR(out);
                break;
            }
            uint8_t *p = (uint8_t *)PyBytes_AS_STRING(item);
            memcpy(p, prefix.buf, prefix.len);
            unsigned long long index = (start + (unsigned long long)i) & mask;
            for (int b = index_size - 1; b >= 0; b--, index >>= 8) p[prefix.len + b] = index & 0xff;
            memcpy(p + prefix.len + index_size, list.views[i].buf, len);
            PyList_SET_ITEM(out, i, item);
        }
        buffers_release(&list);
    }
    PyBuffer_Release(&prefix);
    return out;
}

static PyObject *py_encode(PyObject *self, PyObject *args)
{
    PyObject *headers_obj, *payloads;
    Py_buffer matrix;
    if (!PyArg_ParseTuple(args, "OOy*:encode", &headers_obj, &payloads, &matrix)) return NULL;
    PyObject *out = NULL;
    buffer_list headers, sources;
    if (buffers_get(headers_obj, &headers, "headers must be a sequence of buffers") < 0) {
        PyBuffer_Release(&matrix);
        return NULL;
    }
    if (buffers_get(payloads, &sources, "payloads must be a sequence of buffers") < 0) {
        buffers_release(&headers);
        PyBuffer_Release(&matrix);
        return NULL;
    }
    Py_ssize_t rows = headers.count, k = sources.count;
    Py_ssize_t stride = rows ? matrix.len / rows : 0;
    if (rows == 0 || matrix.len % rows || stride < k) {
        PyErr_Format(PyExc_ValueError,
                     "matrix of %zd bytes does not give %zd rows of at least %zd coefficients",
                     matrix.len, rows, k);
    } else {
        Py_ssize_t size = 0;
        for (Py_ssize_t j = 0; j < k; j++)
            if (sources.views[j].len > size) size = sources.views[j].len;
        const uint8_t *m = (const uint8_t *)matrix.buf;
        if (size > 0xffff)
            PyErr_Format(PyExc_ValueError, "payload of %zd bytes is over the 65535-byte limit", size);
        else
            out = PyList_New(rows);
        size += 2;
        for (Py_ssize_t r = 0; out != NULL && r < rows; r++) {
            Py_ssize_t hlen = headers.views[r].len;
            PyObject *item = PyBytes_FromStringAndSize(NULL, hlen + size);
            if (item == NULL) {
                Py_CLEAR(out);
                break;
            }
            uint8_t *p = (uint8_t *)PyBytes_AS_STRING(item);
            memcpy(p, headers.views[r].buf, hlen);
            memset(p + hlen, 0, size);
            for (Py_ssize_t j = 0; j < k; j++)
                muladd_prefixed(p + hlen, sources.views[j].buf, sources.views[j].len,
                                m[r * stride + j]);
            PyList_SET_ITEM(out, r, item);
        }
    }
    buffers_release(&headers);
    buffers_release(&sources);
    PyBuffer_Release(&matrix);
    return out;
}

/* The payload a rebuilt symbol carries, or None when its length or padding is wrong. */
static PyObject *unprefix(const uint8_t *symbol, Py_ssize_t size)
{
    if (size < 2) Py_RETURN_NONE;
    Py_ssize_t len = ((Py_ssize_t)symbol[0] << 8) | symbol[1];
    if (len > size - 2) Py_RETURN_NONE;
    for (Py_ssize_t i = 2 + len; i < size; i++)
        if (symbol[i]) Py_RETURN_NONE;
    return PyBytes_FromStringAndSize((const char *)symbol + 2, len);
}

static PyObject *py_recover(PyObject *self, PyObject *args)
{
    PyObject *payloads, *repairs_obj;
    Py_ssize_t skip;
    Py_buffer matrix;
    if (!PyArg_ParseTuple(args, "OOny*:recover", &payloads, &repairs_obj, &skip, &matrix))
        return NULL;
    PyObject *out = NULL;
    buffer_list sources, repairs;
    if (buffers_get(payloads, &sources, "payloads must be a sequence of buffers") < 0) {
        PyBuffer_Release(&matrix);
        return NULL;
    }
    if (buffers_get(repairs_obj, &repairs, "repairs must be a sequence of buffers") < 0) {
        buffers_release(&sources);
        PyBuffer_Release(&matrix);
        return NULL;
    }
    Py_ssize_t cols = sources.count + repairs.count;
    Py_ssize_t size = -1;
    for (Py_ssize_t j = 0; j < repairs.count; j++) {
        Py_ssize_t len = repairs.views[j].len - skip;
        if (size < 0) size = len;
        if (len != size) size = -2;
    }
    for (Py_ssize_t j = 0; size >= 2 && j < sources.count; j++)
        if (sources.views[j].len + 2 > size) size = -2;
    if (repairs.count == 0 || skip < 0 || matrix.len % cols || size < 2) {
        PyErr_SetString(PyExc_ValueError,
                        "recover needs repairs of one size, sources that fit it and a matrix of "
                        "rows of len(payloads) + len(repairs) coefficients");
    } else {
        Py_ssize_t rows = matrix.len / cols;
        const uint8_t *m = (const uint8_t *)matrix.buf;
        uint8_t *symbol = PyMem_Malloc(size);
        out = symbol ? PyList_New(rows) : PyErr_NoMemory();
        for (Py_ssize_t r = 0; out != NULL && r < rows; r++) {
            const uint8_t *row = m + r * cols;
            memset(symbol, 0, size);
            for (Py_ssize_t j = 0; j < sources.count; j++)
                muladd_prefixed(symbol, sources.views[j].buf, sources.views[j].len, row[j]);
            for (Py_ssize_t j = 0; j < repairs.count; j++)
                muladd(symbol, (const uint8_t *)repairs.views[j].buf + skip, size,
                       row[sources.count + j]);
            PyObject *item = unprefix(symbol, size);
            if (item == NULL) {
                Py_CLEAR(out);
                break;
            }
            PyList_SET_ITEM(out, r, item);
        }
        PyMem_Free(symbol);
    }
    buffers_release(&sources);
    buffers_release(&repairs);
    PyBuffer_Release(&matrix);
    return out;
}

static uint8_t gf_mul(uint8_t a, uint8_t b) { return gf_mul_table[a][b]; }
static uint8_t gf_inv(uint8_t a) { return gf_exp[255 - gf_log[a]]; }

/* Invert the n x n matrix a in place (Gauss-Jordan); 0 on success, -1 when singular. */
static int invert(uint8_t *a, uint8_t *inv, Py_ssize_t n)
{
    memset(inv, 0, n * n);
    for (Py_ssize_t i = 0; i < n; i++) inv[i * n + i] = 1;
    for (Py_ssize_t c = 0; c < n; c++) {
        Py_ssize_t p = c;
        while (p < n && a[p * n + c] == 0) p++;
        if (p == n) return -1;
        if (p != c)
            for (Py_ssize_t j = 0; j < n; j++) {
                uint8_t t = a[c * n + j]; a[c * n + j] = a[p * n + j]; a[p * n + j] = t;
                t = inv[c * n + j]; inv[c * n + j] = inv[p * n + j]; inv[p * n + j] = t;
            }
        uint8_t f = gf_inv(a[c * n + c]);
        for (Py_ssize_t j = 0; j < n; j++) {
            a[c * n + j] = gf_mul(f, a[c * n + j]);
            inv[c * n + j] = gf_mul(f, inv[c * n + j]);
        }
        for (Py_ssize_t r = 0; r < n; r++) {
            uint8_t g = a[r * n + c];
            if (r == c || g == 0) continue;
            for (Py_ssize_t j = 0; j < n; j++) {
                a[r * n + j] ^= gf_mul(g, a[c * n + j]);
                inv[r * n + j] ^= gf_mul(g, inv[c * n + j]);
            }
        }
    }
    return 0;
}

/* decode_matrix(rows, k, missing): for the repairs whose coefficient rows (u of k each) are
 * given and the u missing indexes, the u x (k - u + u) matrix that gives the missing symbols
 * from the known ones (ascending index order) followed by the repairs; None when singular. */
static PyObject *py_decode_matrix(PyObject *self, PyObject *args)
{
    Py_buffer rows, missing;
    Py_ssize_t k;
    if (!PyArg_ParseTuple(args, "y*ny*:decode_matrix", &rows, &k, &missing)) return NULL;
    Py_ssize_t u = missing.len;
    const uint8_t *a = (const uint8_t *)rows.buf, *lost = (const uint8_t *)missing.buf;
    PyObject *out = NULL;
    uint8_t is_lost[256] = {0};
    int ok = k >= 1 && k <= 256 && u >= 1 && u <= k && rows.len == u * k;
    for (Py_ssize_t i = 0; ok && i < u; i++) {
        if (lost[i] >= k || is_lost[lost[i]]) ok = 0;
        else is_lost[lost[i]] = 1;
    }
    if (!ok) {
        PyErr_SetString(PyExc_ValueError,
                        "decode_matrix needs u rows of k coefficients (k <= 256) and u distinct "
                        "missing indexes below k");
    } else {
        Py_ssize_t cols = k;  /* (k - u) known + u repairs */
        uint8_t *sub = PyMem_Malloc(2 * u * u + u * cols);
        if (sub == NULL) {
            PyErr_NoMemory();
        } else {
            uint8_t *inv = sub + u * u, *d = inv + u * u;
            for (Py_ssize_t r = 0; r < u; r++)
                for (Py_ssize_t t = 0; t < u; t++) sub[r * u + t] = a[r * k + lost[t]];
            if (invert(sub, inv, u) < 0) {
                out = Py_None;
                Py_INCREF(out);
            } else {
                /* missing = inv * (repairs - A_known * known) = [inv A_known | inv] */
                for (Py_ssize_t t = 0; t < u; t++) {
                    Py_ssize_t col = 0;
                    for (Py_ssize_t i = 0; i < k; i++) {
                        if (is_lost[i]) continue;
                        uint8_t v = 0;
                        for (Py_ssize_t r = 0; r < u; r++) v ^= gf_mul(inv[t * u + r], a[r * k + i]);
                        d[t * cols + col++] = v;
                    }
                    for (Py_ssize_t r = 0; r < u; r++) d[t * cols + col++] = inv[t * u + r];
                }
                out = PyBytes_FromStringAndSize((const char *)d, u * cols);
            }
            PyMem_Free(sub);
        }
    }
    PyBuffer_Release(&rows);
    PyBuffer_Release(&missing);
    return out;
}

/* coefficient_rows(seed, rows, count): coefficients(seed + r, count) for r in range(rows),
 * joined: a block's repair rows in one call. */
static PyObject *py_coefficient_rows(PyObject *self, PyObject *args)
{
    unsigned long seed;
    Py_ssize_t rows, count;
    if (!PyArg_ParseTuple(args, "knn:coefficient_rows", &seed, &rows, &count)) return NULL;
    if (seed > 0xffffffffUL || rows < 0 || count < 0 || rows > 256 || count > 65536) {
        PyErr_SetString(PyExc_ValueError,
                        "seed must fit 32 bits, rows be in 0..256 and count in 0..65536");
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, rows * count);
    if (out == NULL) return NULL;
    uint8_t *p = (uint8_t *)PyBytes_AS_STRING(out);
    for (Py_ssize_t r = 0; r < rows; r++) {
        tinymt32 state;
        tinymt32_seed(&state, (uint32_t)((seed + (unsigned long)r) & 0xffffffffUL));
        for (Py_ssize_t i = 0; i < count; i++) {
            uint8_t value;
            do value = (uint8_t)(tinymt32_output(&state) & 0xff); while (value == 0);
            p[r * count + i] = value;
        }
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
    {"frame", py_frame, METH_VARARGS, "prefix || index || payload for each payload, in one call."},
    {"encode", py_encode, METH_VARARGS, "headers[r] || sum matrix[r][j] * symbol(payloads[j])."},
    {"recover", py_recover, METH_VARARGS, "Payloads rebuilt by a decode matrix (None: bad symbol)."},
    {"decode_matrix", py_decode_matrix, METH_VARARGS, "Matrix giving missing symbols, or None."},
    {"coefficient_rows", py_coefficient_rows, METH_VARARGS, "Coefficient rows of seeds seed.."},
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
