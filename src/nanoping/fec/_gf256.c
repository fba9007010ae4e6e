/* GF(2^8) buffer arithmetic for the FEC codecs (field polynomial x^8+x^4+x^3+x^2+1, 0x11D).
 *
 * The heavy loop is "dst ^= coef * src" over packet-sized buffers, with the split-nibble table
 * method on AVX2 or SSSE3 when the CPU has them (chosen at import) and a 256-entry row of the
 * product table otherwise; a whole block's matrix product reads each source once per four
 * rows (dot). It also draws the codecs' coding coefficients from TinyMT32 (RFC 8682), and
 * keeps the block codes' per-packet bookkeeping (EncoderCore, BlockCore), which in Python
 * cost more than the coding itself.
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
static uint8_t gf_high[256][16]; /* gf_high[c][i] = c * (i << 4): the high-nibble products */
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
    for (int a = 0; a < 256; a++)
        for (int i = 0; i < 16; i++) gf_high[a][i] = gf_mul_table[a][i << 4];
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

/* ---- a matrix product in one pass: out[r] ^= sum_j coefs[r][j] * term[j] -----------------
 *
 * Coding a block row by row (muladd) reads every source once per repair and reads and writes
 * every repair once per source. dot() reads each source once per group of DOT_ROWS rows and
 * keeps those rows in registers (the shape of ISA-L's gf_Nvect_dot_prod).
 */

#define DOT_ROWS 4
#define DOT_TERMS 16

typedef struct {
    const uint8_t *buf;
    Py_ssize_t len; /* the term's bytes; the output may be longer (the term is zero-padded) */
} dot_term;

#ifdef NP_X86
/* Rows out[0..nr) over the first n bytes (a multiple of 32) of terms[0..k), k <= DOT_TERMS;
 * nr is a constant where this is inlined, so the accumulators stay in registers. */
__attribute__((target("avx2"), always_inline)) static inline void
dot_group_avx2(uint8_t *const *out, const int nr, const dot_term *terms, int k,
               const uint8_t *coefs, Py_ssize_t stride, Py_ssize_t n)
{
    __m256i tables[DOT_ROWS * DOT_TERMS * 2];
    for (int j = 0; j < k; j++)
        for (int r = 0; r < nr; r++) {
            uint8_t c = coefs[r * stride + j];
            __m128i low = _mm_loadu_si128((const __m128i *)gf_mul_table[c]);
            __m128i high = _mm_loadu_si128((const __m128i *)gf_high[c]);
            tables[(j * nr + r) * 2] = _mm256_broadcastsi128_si256(low);
            tables[(j * nr + r) * 2 + 1] = _mm256_broadcastsi128_si256(high);
        }
    const __m256i mask = _mm256_set1_epi8(0x0f);
    for (Py_ssize_t i = 0; i < n; i += 32) {
        __m256i acc[DOT_ROWS];
        for (int r = 0; r < nr; r++) acc[r] = _mm256_loadu_si256((const __m256i *)(out[r] + i));
        const __m256i *t = tables;
        for (int j = 0; j < k; j++) {
            __m256i s = _mm256_loadu_si256((const __m256i *)(terms[j].buf + i));
            __m256i lo = _mm256_and_si256(s, mask);
            __m256i hi = _mm256_and_si256(_mm256_srli_epi64(s, 4), mask);
            for (int r = 0; r < nr; r++, t += 2)
                acc[r] = _mm256_xor_si256(acc[r], _mm256_xor_si256(_mm256_shuffle_epi8(t[0], lo),
                                                                   _mm256_shuffle_epi8(t[1], hi)));
        }
        for (int r = 0; r < nr; r++) _mm256_storeu_si256((__m256i *)(out[r] + i), acc[r]);
    }
}

/* The first n bytes (n a multiple of 32, no longer than any term) of every row and term. */
__attribute__((target("avx2"))) static void
dot_avx2(uint8_t *const *out, int rows, const dot_term *terms, int k, const uint8_t *coefs,
         Py_ssize_t stride, Py_ssize_t n)
{
    for (int j0 = 0; j0 < k; j0 += DOT_TERMS) {
        int nj = k - j0 < DOT_TERMS ? k - j0 : DOT_TERMS;
        for (int r0 = 0; r0 < rows; r0 += DOT_ROWS) {
            const uint8_t *c = coefs + r0 * stride + j0;
            switch (rows - r0) {
            case 1: dot_group_avx2(out + r0, 1, terms + j0, nj, c, stride, n); break;
            case 2: dot_group_avx2(out + r0, 2, terms + j0, nj, c, stride, n); break;
            case 3: dot_group_avx2(out + r0, 3, terms + j0, nj, c, stride, n); break;
            default: dot_group_avx2(out + r0, 4, terms + j0, nj, c, stride, n); break;
            }
        }
    }
}
#endif

#ifdef NP_X86
/* The last bytes [done, done + 32) of rows and terms (no term longer than that) as one vector
 * step over zero-padded copies, instead of a short muladd per row and term. */
__attribute__((target("avx2"))) static void
dot_tail_avx2(uint8_t *const *out, int rows, const dot_term *terms, int k, const uint8_t *coefs,
              Py_ssize_t stride, Py_ssize_t done, Py_ssize_t longest)
{
    Py_ssize_t width = longest - done;
    uint8_t *area = PyMem_Calloc((size_t)(k + rows), 32);
    dot_term *tails = PyMem_Malloc((size_t)k * sizeof(dot_term));
    uint8_t **outs = PyMem_Malloc((size_t)rows * sizeof(uint8_t *));
    if (area == NULL || tails == NULL || outs == NULL) {  /* no memory: the short way */
        PyMem_Free(area);
        PyMem_Free(tails);
        PyMem_Free(outs);
        for (int j = 0; j < k; j++)
            for (int r = 0; r < rows; r++)
                muladd(out[r] + done, terms[j].buf + done, terms[j].len - done,
                       coefs[r * stride + j]);
        return;
    }
    for (int j = 0; j < k; j++) {
        memcpy(area + 32 * j, terms[j].buf + done, terms[j].len - done);
        tails[j].buf = area + 32 * j;
        tails[j].len = 32;
    }
    for (int r = 0; r < rows; r++) {
        outs[r] = area + 32 * (k + r);
        memcpy(outs[r], out[r] + done, width);
    }
    dot_avx2(outs, rows, tails, k, coefs, stride, 32);
    for (int r = 0; r < rows; r++) memcpy(out[r] + done, outs[r], width);
    PyMem_Free(area);
    PyMem_Free(tails);
    PyMem_Free(outs);
}
#endif

/* out[r][0:len] ^= sum_j coefs[r * stride + j] * terms[j] for r < rows, every out[r] at least
 * as long as the longest term. */
static void dot(uint8_t *const *out, int rows, const dot_term *terms, int k, const uint8_t *coefs,
                Py_ssize_t stride)
{
    Py_ssize_t done = 0, longest = 0;
#ifdef NP_X86
    if (use_avx2 && rows > 0 && k > 0) {
        Py_ssize_t common = terms[0].len;
        for (int j = 0; j < k; j++) {
            if (terms[j].len < common) common = terms[j].len;
            if (terms[j].len > longest) longest = terms[j].len;
        }
        done = common & ~(Py_ssize_t)31;
        if (done > 0) dot_avx2(out, rows, terms, k, coefs, stride, done);
        if (longest > done && longest - done <= 32) {
            dot_tail_avx2(out, rows, terms, k, coefs, stride, done, longest);
            return;
        }
    }
#endif
    for (int j = 0; j < k; j++) {
        const dot_term *t = &terms[j];
        if (t->len <= done) continue;
        for (int r = 0; r < rows; r++)
            muladd(out[r] + done, t->buf + done, t->len - done, coefs[r * stride + j]);
    }
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

/* sources_in_sequence(datagrams, start, type, esi): the payloads of datagrams[start:] up to
 * the first that is not a source datagram (type byte, 4-byte big-endian ESI) numbered in
 * sequence from esi (mod 2^32): a sliding-window decoder's common run, sliced in one call. */
static PyObject *py_sources_in_sequence(PyObject *self, PyObject *args)
{
    PyObject *datagrams;
    Py_ssize_t start;
    int type;
    unsigned long long esi;
    if (!PyArg_ParseTuple(args, "OniK:sources_in_sequence", &datagrams, &start, &type, &esi))
        return NULL;
    PyObject *seq = PySequence_Fast(datagrams, "datagrams must be a sequence");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    PyObject *out = PyList_New(0);
    uint32_t next = (uint32_t)esi;
    for (Py_ssize_t i = start < 0 ? 0 : start; out != NULL && i < n; i++, next++) {
        PyObject *d = items[i];
        if (!PyBytes_Check(d) || PyBytes_GET_SIZE(d) < 5) break;
        const uint8_t *p = (const uint8_t *)PyBytes_AS_STRING(d);
        uint32_t number = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
        if (p[0] != type || number != next) break;
        PyObject *payload = PyBytes_FromStringAndSize((const char *)p + 5, PyBytes_GET_SIZE(d) - 5);
        if (payload == NULL || PyList_Append(out, payload) < 0) Py_CLEAR(out);
        Py_XDECREF(payload);
    }
    Py_DECREF(seq);
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

/* symbols[r] (``size`` bytes each, size >= 2) ^= sum_j coefs[r * stride + j] * term j, where
 * terms 0..np-1 are symbol(payloads[j]) (the length prefix coded here; payloads at most
 * size - 2 bytes) and terms np..np+nr-1 the raw symbols raws[j] of ``size`` bytes. 0, or -1
 * with MemoryError set. */
static int code_symbols(uint8_t *const *symbols, int rows, Py_ssize_t size,
                        const uint8_t *const *payloads, const Py_ssize_t *lens, int np,
                        const uint8_t *const *raws, int nr, const uint8_t *coefs,
                        Py_ssize_t stride)
{
    int k = np + nr;
    uint8_t **outs = PyMem_Malloc((rows ? rows : 1) * sizeof(uint8_t *));
    dot_term *terms = PyMem_Malloc((k ? k : 1) * sizeof(dot_term));
    if (outs == NULL || terms == NULL) {
        PyMem_Free(outs);
        PyMem_Free(terms);
        PyErr_NoMemory();
        return -1;
    }
    for (int j = 0; j < np; j++) {
        terms[j].buf = payloads[j];
        terms[j].len = lens[j];
    }
    for (int j = 0; j < nr; j++) {
        terms[np + j].buf = raws[j] + 2;
        terms[np + j].len = size - 2;
    }
    for (int r = 0; r < rows; r++) {
        const uint8_t *row = coefs + r * stride;
        uint8_t *sym = symbols[r];
        for (int j = 0; j < np; j++) {
            sym[0] ^= gf_mul_table[row[j]][(lens[j] >> 8) & 0xff];
            sym[1] ^= gf_mul_table[row[j]][lens[j] & 0xff];
        }
        for (int j = 0; j < nr; j++) {
            sym[0] ^= gf_mul_table[row[np + j]][raws[j][0]];
            sym[1] ^= gf_mul_table[row[np + j]][raws[j][1]];
        }
        outs[r] = sym + 2;
    }
    dot(outs, rows, terms, k, coefs, stride);
    PyMem_Free(outs);
    PyMem_Free(terms);
    return 0;
}

static PyObject *new_datagram(Py_ssize_t size, uint8_t **at)
{
    PyObject *item = PyBytes_FromStringAndSize(NULL, size);
    if (item != NULL) *at = (uint8_t *)PyBytes_AS_STRING(item);
    return item;
}

static void put_header(uint8_t *p, int type, uint32_t block, unsigned index)
{
    p[0] = (uint8_t)type;
    p[1] = block >> 24;
    p[2] = block >> 16;
    p[3] = block >> 8;
    p[4] = (uint8_t)block;
    p[5] = (index >> 8) & 0xff;
    p[6] = index & 0xff;
}

/* A block's datagrams: the sources of payloads first..count-1 and, when repairs > 0, the
 * repairs over payloads 0..count-1 (bufs/lens; at most 65535 bytes each, count at most 65535,
 * the matrix ``repairs`` rows of ``stride`` >= count coefficients). *sources and *coded get
 * new lists; 0, or -1 with an exception set (and nothing made). */
static int block_datagrams(int source_type, int repair_type, uint32_t block, Py_ssize_t first,
                           const uint8_t *const *bufs, const Py_ssize_t *lens, Py_ssize_t count,
                           const uint8_t *matrix, Py_ssize_t stride, int repairs,
                           PyObject **sources, PyObject **coded)
{
    Py_ssize_t size = 0;
    for (Py_ssize_t j = 0; j < count; j++)
        if (lens[j] > size) size = lens[j];
    PyObject *src = PyList_New(count - first), *rep = PyList_New(repairs);
    uint8_t **symbols = PyMem_Malloc((repairs ? repairs : 1) * sizeof(uint8_t *));
    int ok = src != NULL && rep != NULL && symbols != NULL;
    if (symbols == NULL) PyErr_NoMemory();
    for (Py_ssize_t j = first; ok && j < count; j++) {
        uint8_t *p;
        PyObject *item = new_datagram(7 + lens[j], &p);
        if (item == NULL) {
            ok = 0;
            break;
        }
        put_header(p, source_type, block, (unsigned)j);
        memcpy(p + 7, bufs[j], lens[j]);
        PyList_SET_ITEM(src, j - first, item);
    }
    for (int r = 0; ok && r < repairs; r++) {
        uint8_t *p;
        PyObject *item = new_datagram(9 + size + 2, &p);
        if (item == NULL) {
            ok = 0;
            break;
        }
        put_header(p, repair_type, block, (unsigned)r);
        p[7] = (count >> 8) & 0xff;
        p[8] = count & 0xff;
        memset(p + 9, 0, size + 2);
        symbols[r] = p + 9;
        PyList_SET_ITEM(rep, r, item);
    }
    if (ok && repairs > 0 &&
        code_symbols(symbols, repairs, size + 2, bufs, lens, (int)count, NULL, 0, matrix,
                     stride) < 0)
        ok = 0;
    PyMem_Free(symbols);
    if (!ok) {
        Py_XDECREF(src);
        Py_XDECREF(rep);
        return -1;
    }
    *sources = src;
    *coded = rep;
    return 0;
}

/* ---- the block encoder's state ----------------------------------------------------------------
 *
 * EncoderCore holds what a block encoder keeps between batches (the block being filled, its
 * payloads, its flush time, the counters), so that a batch costs Python one call: it frames
 * every source and closes every block the batch fills. A code's matrix is either the same in
 * every block or, for RLNC, the coefficient rows seeded with (block << 8) (see block.py).
 */

typedef struct {
    PyObject_HEAD
    int k, m, source_type, repair_type, seeded;
    double flush, flush_at;
    int has_deadline;
    uint32_t block;
    PyObject *matrix; /* bytes: the fixed matrix, m rows of k (when not seeded) */
    PyObject *error;  /* the exception class raised for a payload too long */
    PyObject *held;   /* list: the payloads of the block being filled */
    uint8_t *rows;    /* m x k: the seeded matrix of the block being closed */
    long long sources_sent, repairs_sent, blocks, short_blocks;
} EncoderCore;

static void encoder_dealloc(EncoderCore *self)
{
    Py_XDECREF(self->matrix);
    Py_XDECREF(self->error);
    Py_XDECREF(self->held);
    PyMem_Free(self->rows);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static void fill_coefficient_rows(uint8_t *p, uint32_t seed, Py_ssize_t rows, Py_ssize_t count);

static int encoder_init(EncoderCore *self, PyObject *args, PyObject *kwds)
{
    static char *kw[] = {"symbols", "repair", "source_type", "repair_type", "flush", "matrix",
                         "seeded", "error", NULL};
    PyObject *matrix, *error;
    int k, m, source_type, repair_type, seeded;
    double flush;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "$iiiidSpO:EncoderCore", kw, &k, &m,
                                     &source_type, &repair_type, &flush, &matrix, &seeded,
                                     &error))
        return -1;
    if (self->held != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "EncoderCore is initialised once");
        return -1;
    }
    if (!PyExceptionClass_Check(error)) {
        PyErr_SetString(PyExc_TypeError, "error must be an exception class");
        return -1;
    }
    if (k < 1 || k > 0xffff || m < 0 || m > 255 || source_type < 0 || source_type > 255 ||
        repair_type < 0 || repair_type > 255 || !(flush > 0) ||
        (!seeded && PyBytes_GET_SIZE(matrix) != (Py_ssize_t)m * k)) {
        PyErr_SetString(PyExc_ValueError,
                        "EncoderCore needs symbols in 1..65535, repair in 0..255, byte types, "
                        "flush > 0 and (unless seeded) a matrix of repair x symbols bytes");
        return -1;
    }
    self->k = k;
    self->m = m;
    self->source_type = source_type;
    self->repair_type = repair_type;
    self->flush = flush;
    self->seeded = seeded;
    PyMem_Free(self->rows);
    self->rows = PyMem_Malloc((size_t)self->m * self->k + 1);
    self->held = PyList_New(0);
    if (self->rows == NULL || self->held == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    Py_INCREF(matrix);
    self->matrix = matrix;
    Py_INCREF(error);
    self->error = error;
    return 0;
}

/* (start, the source datagrams of items[0:take], the block's repairs when it closes (the next
 * block starts then)): a new reference, or NULL. */
static PyObject *encoder_add(EncoderCore *self, Py_ssize_t start, PyObject **items,
                             Py_ssize_t take, int close)
{
    Py_ssize_t first = PyList_GET_SIZE(self->held), count = first + take;
    const uint8_t **bufs = PyMem_Malloc(count * sizeof(uint8_t *));
    Py_ssize_t *lens = PyMem_Malloc(count * sizeof(Py_ssize_t));
    PyObject *sources, *coded, *next_held = close ? PyList_New(0) : NULL;
    int status = -1;
    if (bufs == NULL || lens == NULL || (close && next_held == NULL)) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
    } else {
        PyObject **held = PySequence_Fast_ITEMS(self->held);
        for (Py_ssize_t j = 0; j < count; j++) {
            PyObject *item = j < first ? held[j] : items[j - first];
            bufs[j] = (const uint8_t *)PyBytes_AS_STRING(item);
            lens[j] = PyBytes_GET_SIZE(item);
        }
        const uint8_t *matrix = (const uint8_t *)PyBytes_AS_STRING(self->matrix);
        if (close && self->seeded) {
            fill_coefficient_rows(self->rows, self->block << 8, self->m, self->k);
            matrix = self->rows;
        }
        status = block_datagrams(self->source_type, self->repair_type, self->block, first, bufs,
                                 lens, count, matrix, self->k, close ? self->m : 0, &sources,
                                 &coded);
    }
    PyMem_Free(bufs);
    PyMem_Free(lens);
    if (status < 0) {
        Py_XDECREF(next_held);
        return NULL;
    }
    if (close) {
        self->repairs_sent += self->m;
        self->blocks++;
        self->block++;
        self->has_deadline = 0;
        Py_SETREF(self->held, next_held);
    } else {
        for (Py_ssize_t j = 0; status == 0 && j < take; j++)
            status = PyList_Append(self->held, items[j]);
    }
    self->sources_sent += take;
    if (status < 0) {
        Py_DECREF(sources);
        Py_DECREF(coded);
        return NULL;
    }
    return Py_BuildValue("nNN", start, sources, coded);
}

/* encode(payloads, now): per block the batch touches, (index in payloads of its first payload
 * here, their source datagrams, the repairs the block closed with). Raises ``error``, having
 * made nothing, when a payload is too long; TypeError when one is not bytes. */
static int encoder_ready(EncoderCore *self)
{
    if (self->held != NULL) return 1;
    PyErr_SetString(PyExc_RuntimeError, "EncoderCore was not initialised");
    return 0;
}

static PyObject *encoder_encode(EncoderCore *self, PyObject *args)
{
    PyObject *payloads;
    double now;
    if (!encoder_ready(self) || !PyArg_ParseTuple(args, "Od:encode", &payloads, &now))
        return NULL;
    /* A tuple of its own: allocations below may run a collection, and a finaliser the list. */
    PyObject *batch = PySequence_Tuple(payloads);
    if (batch == NULL) return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(batch);
    PyObject **items = &PyTuple_GET_ITEM(batch, 0);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!PyBytes_Check(items[i])) {
            PyErr_SetString(PyExc_TypeError, "payloads must be bytes");
            Py_DECREF(batch);
            return NULL;
        }
        if (PyBytes_GET_SIZE(items[i]) > 0xffff) {
            PyErr_Format(self->error, "payload of %zd bytes is over the 65535-byte limit",
                         PyBytes_GET_SIZE(items[i]));
            Py_DECREF(batch);
            return NULL;
        }
    }
    PyObject *out = PyList_New(0);
    for (Py_ssize_t start = 0; out != NULL && start < n;) {
        Py_ssize_t room = self->k - PyList_GET_SIZE(self->held);
        Py_ssize_t take = n - start < room ? n - start : room;
        if (PyList_GET_SIZE(self->held) == 0) {
            self->flush_at = now + self->flush;
            self->has_deadline = 1;
        }
        PyObject *run = encoder_add(self, start, items + start, take, take == room);
        if (run == NULL || PyList_Append(out, run) < 0) Py_CLEAR(out);
        Py_XDECREF(run);
        start += take;
    }
    Py_DECREF(batch);
    return out;
}

/* poll(now): the repairs of a short block whose flush time has come (else []). */
static PyObject *encoder_poll(EncoderCore *self, PyObject *args)
{
    double now;
    if (!encoder_ready(self) || !PyArg_ParseTuple(args, "d:poll", &now)) return NULL;
    if (!self->has_deadline || now < self->flush_at) return PyList_New(0);
    PyObject *run = encoder_add(self, 0, NULL, 0, 1);
    if (run == NULL) return NULL;
    self->short_blocks++;
    PyObject *repairs = PyTuple_GET_ITEM(run, 2);
    Py_INCREF(repairs);
    Py_DECREF(run);
    return repairs;
}

static PyObject *encoder_next_deadline(EncoderCore *self, PyObject *unused)
{
    if (!self->has_deadline) Py_RETURN_NONE;
    return PyFloat_FromDouble(self->flush_at);
}

static PyObject *encoder_counters(EncoderCore *self, PyObject *unused)
{
    if (!encoder_ready(self)) return NULL;
    return Py_BuildValue("LLLLn", self->sources_sent, self->repairs_sent, self->blocks,
                         self->short_blocks, PyList_GET_SIZE(self->held));
}

static PyMethodDef encoder_methods[] = {
    {"encode", (PyCFunction)encoder_encode, METH_VARARGS,
     "encode(payloads, now): [(start, sources, repairs)] per block the batch touches."},
    {"poll", (PyCFunction)encoder_poll, METH_VARARGS,
     "The repairs of a short block whose flush time has come."},
    {"next_deadline", (PyCFunction)encoder_next_deadline, METH_NOARGS,
     "When the block being filled is flushed, or None."},
    {"counters", (PyCFunction)encoder_counters, METH_NOARGS,
     "(sources sent, repairs sent, blocks, short blocks, payloads in the current block)."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject EncoderCoreType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "nanoping.fec._gf256.EncoderCore",
    .tp_doc = "The state of a block encoder between batches (see block.py).",
    .tp_basicsize = sizeof(EncoderCore),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)encoder_init,
    .tp_dealloc = (destructor)encoder_dealloc,
    .tp_methods = encoder_methods,
};
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

/* The decode table (u x k bytes into d) of the repairs whose coefficient rows (u of k each)
 * are ``a`` and the u distinct missing indexes ``lost`` (below k <= 256): the rows that give
 * the missing symbols from the known ones (ascending index order) followed by the repairs.
 * 0; 1 when those repairs cannot rebuild those sources; -1 with MemoryError set. */
static int decode_table(const uint8_t *a, Py_ssize_t k, const uint8_t *lost, Py_ssize_t u,
                        uint8_t *d)
{
    uint8_t is_lost[256] = {0};
    for (Py_ssize_t i = 0; i < u; i++) is_lost[lost[i]] = 1;
    Py_ssize_t cols = k;  /* (k - u) known + u repairs */
    uint8_t *sub = PyMem_Malloc(2 * u * u);
    if (sub == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    uint8_t *inv = sub + u * u;
    for (Py_ssize_t r = 0; r < u; r++)
        for (Py_ssize_t t = 0; t < u; t++) sub[r * u + t] = a[r * k + lost[t]];
    if (invert(sub, inv, u) < 0) {
        PyMem_Free(sub);
        return 1;
    }
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
    PyMem_Free(sub);
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
    const uint8_t *lost = (const uint8_t *)missing.buf;
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
        out = PyBytes_FromStringAndSize(NULL, u * k);
        int status = out == NULL ? -1
                                 : decode_table((const uint8_t *)rows.buf, k, lost, u,
                                                (uint8_t *)PyBytes_AS_STRING(out));
        if (status != 0) Py_CLEAR(out);
        if (status == 1) {
            out = Py_None;
            Py_INCREF(out);
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
    fill_coefficient_rows((uint8_t *)PyBytes_AS_STRING(out), (uint32_t)seed, rows, count);
    return out;
}

/* coefficients(seed + r, count) for r in range(rows), into p (rows x count bytes). */
static void fill_coefficient_rows(uint8_t *p, uint32_t seed, Py_ssize_t rows, Py_ssize_t count)
{
    for (Py_ssize_t r = 0; r < rows; r++) {
        tinymt32 state;
        tinymt32_seed(&state, seed + (uint32_t)r);
        for (Py_ssize_t i = 0; i < count; i++) {
            uint8_t value;
            do value = (uint8_t)(tinymt32_output(&state) & 0xff); while (value == 0);
            p[r * count + i] = value;
        }
    }
}

/* ---- the block decoder's per-packet bookkeeping ---------------------------------------------
 *
 * BlockCore holds the open blocks of a block decoder (sources and repairs by index, the source
 * count a repair announces), the outcome of recently closed ones, and the counters; it parses
 * every datagram of a batch in one call. Rebuilding stays with Python: when a block has as many
 * repairs as missing sources (or, for a code that peels, any repair and a loss), the core calls
 * ``recover(block, count, missing, sources, repairs)`` once for that block, which returns {index: payload or None (failed check)}, or
 * None when the attempt failed as a whole. Datagrams are never trusted: every field is checked.
 */

enum {
    C_SOURCES, C_REPAIRS, C_RECOVERED, C_LOST, C_LATE, C_UNNEEDED, C_DUPLICATES, C_FAILURES,
    C_OPEN, C_TABLES, C_COUNT
};

typedef struct {
    uint32_t block;
    int used;
    long long seq;      /* opening order */
    double opened;
    int count;          /* sources in the block, -1 until a repair says */
    int nsources, nrepairs;
    PyObject **sources; /* k payloads (NULL: not here) */
    PyObject **repairs; /* m repair datagrams */
} core_block;

typedef struct {
    PyObject_HEAD
    int k, m, source_type, repair_type, max_blocks, history, eager;
    int seeded;         /* RLNC: block b's repair j has coefficients((b << 8) + j), made here */
    double timeout;
    core_block *blocks;
    uint32_t *closed_block;
    uint8_t *closed_complete;
    int closed_next, closed_len;
    long long seq;
    int last;           /* slot of the block seen last */
    long long counters[C_COUNT];
} BlockCore;

static void slot_clear(BlockCore *self, core_block *b)
{
    for (int i = 0; i < self->k; i++) Py_CLEAR(b->sources[i]);
    for (int j = 0; j < self->m; j++) Py_CLEAR(b->repairs[j]);
    b->used = 0;
    b->nsources = b->nrepairs = 0;
    b->count = -1;
}

static void core_dealloc(BlockCore *self)
{
    if (self->blocks != NULL) {
        for (int s = 0; s < self->max_blocks; s++) {
            if (self->blocks[s].sources != NULL) slot_clear(self, &self->blocks[s]);
            PyMem_Free(self->blocks[s].sources);
        }
        PyMem_Free(self->blocks);
    }
    PyMem_Free(self->closed_block);
    PyMem_Free(self->closed_complete);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int core_init(BlockCore *self, PyObject *args, PyObject *kwds)
{
    static char *kw[] = {"symbols", "repair", "source_type", "repair_type", "max_blocks",
                         "timeout", "eager", "seeded", NULL};
    int k, m, source_type, repair_type, max_blocks, eager, seeded;
    double timeout;
    /* Parsed into locals: a second __init__ must not touch a live core's sizes. */
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "$iiiiidpp:BlockCore", kw, &k, &m,
                                     &source_type, &repair_type, &max_blocks, &timeout, &eager,
                                     &seeded))
        return -1;
    if (self->blocks != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "BlockCore is initialised once");
        return -1;
    }
    if (k < 1 || k > 256 || m < 0 || m > 255 || max_blocks < 1 || max_blocks > 65536) {
        PyErr_SetString(PyExc_ValueError,
                        "BlockCore needs symbols in 1..256, repair in 0..255 and max_blocks in "
                        "1..65536");
        return -1;
    }
    self->k = k;
    self->m = m;
    self->source_type = source_type;
    self->repair_type = repair_type;
    self->max_blocks = max_blocks;
    self->timeout = timeout;
    self->eager = eager;
    self->seeded = seeded;
    self->history = 4 * self->max_blocks;
    self->blocks = PyMem_Calloc(self->max_blocks, sizeof(core_block));
    self->closed_block = PyMem_Calloc(self->history, sizeof(uint32_t));
    self->closed_complete = PyMem_Calloc(self->history, 1);
    if (self->blocks == NULL || self->closed_block == NULL || self->closed_complete == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (int s = 0; s < self->max_blocks; s++) {
        self->blocks[s].sources = PyMem_Calloc(self->k + self->m, sizeof(PyObject *));
        if (self->blocks[s].sources == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        self->blocks[s].repairs = self->blocks[s].sources + self->k;
        self->blocks[s].count = -1;
    }
    return 0;
}

static int find_open(BlockCore *self, uint32_t block)
{
    core_block *b = &self->blocks[self->last];
    if (b->used && b->block == block) return self->last;
    for (int s = 0; s < self->max_blocks; s++)
        if (self->blocks[s].used && self->blocks[s].block == block) return self->last = s;
    return -1;
}

/* 1: closed complete, 0: closed with losses, -1: not among the recently closed. */
static int find_closed(BlockCore *self, uint32_t block)
{
    for (int n = 1; n <= self->closed_len; n++) {
        int i = (self->closed_next - n + self->history) % self->history;
        if (self->closed_block[i] == block) return self->closed_complete[i];
    }
    return -1;
}

static int missing_list(core_block *b, uint8_t *missing)
{
    int n = 0;
    for (int i = 0; i < b->count; i++)
        if (b->sources[i] == NULL) missing[n++] = (uint8_t)i;
    return n;
}

/* Close slot s; ``extra`` (when has_extra) is a block about to open, which counts as open. */
static void close_slot(BlockCore *self, int s, int has_extra, uint32_t extra)
{
    core_block *b = &self->blocks[s];
    int count = b->count;
    if (count < 0) {
        /* Without a repair the block's size is unknown: a block followed by a later open one
         * was full; otherwise it counts up to its highest source seen. */
        int later = has_extra && (uint32_t)(extra - b->block) < 0x80000000U;
        for (int o = 0; o < self->max_blocks && !later; o++) {
            core_block *other = &self->blocks[o];
            if (o != s && other->used && (uint32_t)(other->block - b->block) < 0x80000000U)
                later = 1;
        }
        count = 0;
        if (later) count = self->k;
        else
            for (int i = 0; i < self->k; i++)
                if (b->sources[i] != NULL) count = i + 1;
    }
    int lost = 0;
    for (int i = 0; i < count; i++)
        if (b->sources[i] == NULL) lost++;
    self->counters[C_LOST] += lost;
    self->closed_block[self->closed_next] = b->block;
    self->closed_complete[self->closed_next] = lost == 0;
    self->closed_next = (self->closed_next + 1) % self->history;
    if (self->closed_len < self->history) self->closed_len++;
    slot_clear(self, b);
    self->counters[C_OPEN]--;
}

static int oldest_slot(BlockCore *self)
{
    int best = -1;
    for (int s = 0; s < self->max_blocks; s++)
        if (self->blocks[s].used && (best < 0 || self->blocks[s].seq < self->blocks[best].seq))
            best = s;
    return best;
}

/* The open slot of ``block`` (opened now if needed), or -1 when the block is closed. */
static int state_for(BlockCore *self, uint32_t block, double now)
{
    int s = find_open(self, block);
    if (s >= 0) return s;
    int complete = find_closed(self, block);
    if (complete >= 0) {
        self->counters[complete ? C_UNNEEDED : C_LATE]++;
        return -1;
    }
    int free_slot = -1;
    for (int o = 0; o < self->max_blocks && free_slot < 0; o++)
        if (!self->blocks[o].used) free_slot = o;
    if (free_slot < 0) {
        free_slot = oldest_slot(self);
        close_slot(self, free_slot, 1, block);
    }
    core_block *b = &self->blocks[free_slot];
    b->used = 1;
    b->block = block;
    b->seq = self->seq++;
    b->opened = now;
    b->count = -1;
    self->counters[C_OPEN]++;
    return self->last = free_slot;
}

static int deliver(PyObject *payloads, PyObject *origins, PyObject *payload, PyObject *origin)
{
    if (PyList_Append(payloads, payload) < 0) return -1;
    return PyList_Append(origins, origin);
}

/* The payloads of the n missing sources from the first n repairs and a decode table (as
 * decode_matrix makes): {index: payload or None}; Py_None when the packets disagree on the
 * symbol size; NULL with an exception set. */
static PyObject *rebuild_with_table(BlockCore *self, core_block *b, const uint8_t *missing,
                                    int n, const uint8_t *chosen, PyObject *table)
{
    if (!PyBytes_Check(table) || PyBytes_GET_SIZE(table) != (Py_ssize_t)n * self->k) {
        PyErr_SetString(PyExc_ValueError, "decode table of the wrong size");
        return NULL;
    }
    const uint8_t *t = (const uint8_t *)PyBytes_AS_STRING(table);
    Py_ssize_t size = PyBytes_GET_SIZE(b->repairs[chosen[0]]) - 9;
    for (int j = 1; j < n; j++)
        if (PyBytes_GET_SIZE(b->repairs[chosen[j]]) - 9 != size) Py_RETURN_NONE;
    uint8_t lost[256] = {0};
    for (int i = 0; i < n; i++) lost[missing[i]] = 1;
    for (int i = 0; i < self->k; i++)
        if (!lost[i] && b->sources[i] != NULL && PyBytes_GET_SIZE(b->sources[i]) + 2 > size)
            Py_RETURN_NONE;
    /* The table's columns: the known sources in index order (those after count are empty
     * payloads: their symbols are zero and drop out), then the chosen repairs. */
    int k = self->k, np = 0;
    const uint8_t *payloads[256], *raws[256];
    Py_ssize_t lens[256];
    uint8_t *coefs = PyMem_Malloc((size_t)n * k + (size_t)n * size);
    uint8_t *symbols[256];
    if (coefs == NULL) return PyErr_NoMemory();
    uint8_t *area = coefs + (size_t)n * k;
    for (int r = 0; r < n; r++) symbols[r] = area + (size_t)r * size;
    memset(area, 0, (size_t)n * size);
    for (int i = 0, col = 0; i < k; i++) {
        if (lost[i]) continue;
        PyObject *src = b->sources[i];
        if (src != NULL) {
            payloads[np] = (const uint8_t *)PyBytes_AS_STRING(src);
            lens[np] = PyBytes_GET_SIZE(src);
            for (int r = 0; r < n; r++) coefs[(size_t)r * k + np] = t[(size_t)r * k + col];
            np++;
        }
        col++;
    }
    for (int j = 0; j < n; j++) {
        raws[j] = (const uint8_t *)PyBytes_AS_STRING(b->repairs[chosen[j]]) + 9;
        for (int r = 0; r < n; r++) coefs[(size_t)r * k + np + j] = t[(size_t)r * k + k - n + j];
    }
    PyObject *out = NULL;  /* size >= 2: a repair datagram has at least 11 bytes */
    if (code_symbols(symbols, n, size, payloads, lens, np, raws, n, coefs, k) == 0)
        out = PyDict_New();
    for (int r = 0; out != NULL && r < n; r++) {
        PyObject *key = PyLong_FromLong(missing[r]);
        PyObject *value = key ? unprefix(symbols[r], size) : NULL;
        if (value == NULL || PyDict_SetItem(out, key, value) < 0) Py_CLEAR(out);
        Py_XDECREF(key);
        Py_XDECREF(value);
    }
    PyMem_Free(coefs);
    return out;
}

/* The decode table of a block's loss pattern (bytes, or None when the chosen repairs cannot
 * rebuild the missing sources), a new reference; NULL with an exception set. A seeded code's
 * coefficients are new in every block, so its table is made here and never cached (counted in
 * C_TABLES); other codes ask ``table_fn``, which keeps a cache. */
static PyObject *block_table(BlockCore *self, core_block *b, const uint8_t *missing, int n,
                             const uint8_t *chosen, PyObject *table_fn)
{
    if (!self->seeded)
        return PyObject_CallFunction(table_fn, "ky#y#", (unsigned long)b->block,
                                     (const char *)missing, (Py_ssize_t)n,
                                     (const char *)chosen, (Py_ssize_t)n);
    uint8_t *rows = PyMem_Malloc((size_t)n * self->k);
    PyObject *table = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)n * self->k);
    int status = -1;
    if (rows == NULL || table == NULL) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
    } else {
        for (int j = 0; j < n; j++)
            fill_coefficient_rows(rows + (size_t)j * self->k, (b->block << 8) + chosen[j], 1,
                                  self->k);
        status = decode_table(rows, self->k, missing, n, (uint8_t *)PyBytes_AS_STRING(table));
        self->counters[C_TABLES]++;
    }
    PyMem_Free(rows);
    if (status != 0) Py_CLEAR(table);
    if (status == 1) {
        table = Py_None;
        Py_INCREF(table);
    }
    return table;
}

/* Rebuild what the block's packets allow; 0, or -1 with an exception set. A linear code asks
 * ``table`` for the decode table of its loss pattern and rebuilds here; ``recover`` (Python's
 * general path) is the fallback, and the only path of a code that peels. */
static int try_recover(BlockCore *self, int s, PyObject *payloads, PyObject *origins,
                       PyObject *origin, PyObject *table_fn, PyObject *recover)
{
    core_block *b = &self->blocks[s];
    if (b->count < 0 || b->nrepairs == 0) return 0;
    uint8_t missing[256];
    int n = missing_list(b, missing);
    PyObject *result = NULL;
    if (n > 0 && !self->eager && n <= b->nrepairs && table_fn != Py_None) {
        uint8_t chosen[256];
        int c = 0;
        for (int j = 0; j < self->m && c < n; j++)
            if (b->repairs[j] != NULL) chosen[c++] = (uint8_t)j;
        PyObject *table = block_table(self, b, missing, n, chosen, table_fn);
        if (table == NULL) return -1;
        if (table != Py_None) {
            result = rebuild_with_table(self, b, missing, n, chosen, table);
            Py_DECREF(table);
            if (result == NULL) return -1;
        } else {
            Py_DECREF(table);
        }
    }
    if (result == NULL && n > 0 && (self->eager || n <= b->nrepairs)) {
        PyObject *sources = PyList_New(self->k), *repairs = PyList_New(self->m);
        PyObject *miss = PyBytes_FromStringAndSize((char *)missing, n);
        if (sources != NULL && repairs != NULL && miss != NULL) {
            for (int i = 0; i < self->k; i++) {
                PyObject *v = b->sources[i] ? b->sources[i] : Py_None;
                Py_INCREF(v);
                PyList_SET_ITEM(sources, i, v);
            }
            for (int j = 0; j < self->m; j++) {
                PyObject *v = b->repairs[j] ? b->repairs[j] : Py_None;
                Py_INCREF(v);
                PyList_SET_ITEM(repairs, j, v);
            }
            result = PyObject_CallFunction(recover, "kiOOO", (unsigned long)b->block,
                                           b->count, miss, sources, repairs);
        }
        Py_XDECREF(sources);
        Py_XDECREF(repairs);
        Py_XDECREF(miss);
        if (result == NULL) return -1;
    }
    if (result != NULL) {
        if (result == Py_None) {
            self->counters[C_FAILURES]++;
        } else if (PyDict_Check(result)) {
            PyObject *key, *value;
            Py_ssize_t pos = 0;
            while (PyDict_Next(result, &pos, &key, &value)) {
                long index = PyLong_AsLong(key);
                if (index == -1 && PyErr_Occurred()) {
                    Py_DECREF(result);
                    return -1;
                }
                if (index < 0 || index >= b->count || b->sources[index] != NULL) continue;
                if (value == Py_None || !PyBytes_Check(value)) {
                    self->counters[C_FAILURES]++;
                    continue;
                }
                Py_INCREF(value);
                b->sources[index] = value;
                b->nsources++;
                self->counters[C_RECOVERED]++;
                if (deliver(payloads, origins, value, origin) < 0) {
                    Py_DECREF(result);
                    return -1;
                }
            }
        }
        Py_DECREF(result);
    }
    for (int i = 0; i < b->count; i++)
        if (b->sources[i] == NULL) return 0;
    close_slot(self, s, 0, 0);
    return 0;
}

static int on_datagram(BlockCore *self, PyObject *datagram, double now, PyObject *payloads,
                       PyObject *origins, PyObject *origin, PyObject *table_fn,
                       PyObject *recover)
{
    if (!PyBytes_Check(datagram)) {
        self->counters[C_FAILURES]++;
        return 0;
    }
    const uint8_t *d = (const uint8_t *)PyBytes_AS_STRING(datagram);
    Py_ssize_t len = PyBytes_GET_SIZE(datagram);
    int kind = len ? d[0] : -1;
    if (kind == self->source_type && len >= 7) {
        uint32_t block = ((uint32_t)d[1] << 24) | ((uint32_t)d[2] << 16) | ((uint32_t)d[3] << 8) | d[4];
        int index = (d[5] << 8) | d[6];
        if (index >= self->k) {
            self->counters[C_FAILURES]++;
            return 0;
        }
        int s = state_for(self, block, now);
        if (s < 0) return 0;
        core_block *b = &self->blocks[s];
        if (b->sources[index] != NULL) {
            self->counters[C_DUPLICATES]++;
            return 0;
        }
        PyObject *payload = PyBytes_FromStringAndSize((const char *)d + 7, len - 7);
        if (payload == NULL) return -1;
        b->sources[index] = payload;
        b->nsources++;
        self->counters[C_SOURCES]++;
        if (deliver(payloads, origins, payload, origin) < 0) return -1;
        return try_recover(self, s, payloads, origins, origin, table_fn, recover);
    }
    if (kind == self->repair_type && len >= 11) {
        uint32_t block = ((uint32_t)d[1] << 24) | ((uint32_t)d[2] << 16) | ((uint32_t)d[3] << 8) | d[4];
        int index = (d[5] << 8) | d[6], count = (d[7] << 8) | d[8];
        if (index >= self->m || count < 1 || count > self->k) {
            self->counters[C_FAILURES]++;
            return 0;
        }
        int s = state_for(self, block, now);
        if (s < 0) return 0;
        core_block *b = &self->blocks[s];
        if (b->repairs[index] != NULL || (b->count >= 0 && b->count != count)) {
            self->counters[C_DUPLICATES]++;
            return 0;
        }
        b->count = count;
        Py_INCREF(datagram);
        b->repairs[index] = datagram;
        b->nrepairs++;
        self->counters[C_REPAIRS]++;
        return try_recover(self, s, payloads, origins, origin, table_fn, recover);
    }
    self->counters[C_FAILURES]++;
    return 0;
}

static PyObject *core_receive(BlockCore *self, PyObject *args)
{
    PyObject *datagrams, *table_fn, *recover;
    double now;
    if (!PyArg_ParseTuple(args, "OdOO:receive", &datagrams, &now, &table_fn, &recover))
        return NULL;
    PyObject *seq = PySequence_Fast(datagrams, "datagrams must be a sequence of bytes");
    if (seq == NULL) return NULL;
    PyObject *payloads = PyList_New(0), *origins = PyList_New(0), *out = NULL;
    if (payloads != NULL && origins != NULL) {
        Py_ssize_t n = PySequence_Fast_GET_SIZE(seq), i = 0;
        PyObject **items = PySequence_Fast_ITEMS(seq);
        for (; i < n; i++) {
            PyObject *origin = PyLong_FromSsize_t(i);
            if (origin == NULL) break;
            int status =
                on_datagram(self, items[i], now, payloads, origins, origin, table_fn, recover);
            Py_DECREF(origin);
            if (status < 0) break;
        }
        if (i == n) out = PyTuple_Pack(2, payloads, origins);
    }
    Py_XDECREF(payloads);
    Py_XDECREF(origins);
    Py_DECREF(seq);
    return out;
}

static PyObject *core_poll(BlockCore *self, PyObject *args)
{
    double now;
    if (!PyArg_ParseTuple(args, "d:poll", &now)) return NULL;
    for (;;) {  /* close every block whose timeout passed, in the order they opened */
        int best = -1;
        for (int s = 0; s < self->max_blocks; s++) {
            core_block *b = &self->blocks[s];
            if (b->used && b->opened + self->timeout <= now &&
                (best < 0 || b->seq < self->blocks[best].seq))
                best = s;
        }
        if (best < 0) break;
        close_slot(self, best, 0, 0);
    }
    Py_RETURN_NONE;
}

static PyObject *core_next_deadline(BlockCore *self, PyObject *unused)
{
    int s = oldest_slot(self);
    if (s < 0) Py_RETURN_NONE;
    return PyFloat_FromDouble(self->blocks[s].opened + self->timeout);
}

static PyObject *core_counters(BlockCore *self, PyObject *unused)
{
    PyObject *out = PyTuple_New(C_COUNT);
    if (out == NULL) return NULL;
    for (int i = 0; i < C_COUNT; i++) {
        PyObject *v = PyLong_FromLongLong(self->counters[i]);
        if (v == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyTuple_SET_ITEM(out, i, v);
    }
    return out;
}

static PyMethodDef core_methods[] = {
    {"receive", (PyCFunction)core_receive, METH_VARARGS,
     "receive(datagrams, now, table, recover): (payloads, origins) the batch delivers; origins "
     "index the batch."},
    {"poll", (PyCFunction)core_poll, METH_VARARGS, "Close the blocks whose timeout passed."},
    {"next_deadline", (PyCFunction)core_next_deadline, METH_NOARGS,
     "When the oldest open block times out, or None."},
    {"counters", (PyCFunction)core_counters, METH_NOARGS,
     "(sources, repairs, recovered, lost, late, unneeded, duplicates, failures, open, "
     "seeded decode tables made)."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject BlockCoreType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "nanoping.fec._gf256.BlockCore",
    .tp_doc = "Per-packet bookkeeping of a block decoder (see block.py).",
    .tp_basicsize = sizeof(BlockCore),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)core_init,
    .tp_dealloc = (destructor)core_dealloc,
    .tp_methods = core_methods,
};

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
    {"sources_in_sequence", py_sources_in_sequence, METH_VARARGS,
     "Payloads of the source datagrams numbered in sequence from start on."},
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
    if (PyType_Ready(&BlockCoreType) < 0 || PyType_Ready(&EncoderCoreType) < 0) return NULL;
    PyObject *mod = PyModule_Create(&module);
    if (mod == NULL) return NULL;
    Py_INCREF(&BlockCoreType);
    if (PyModule_AddObject(mod, "BlockCore", (PyObject *)&BlockCoreType) < 0) {
        Py_DECREF(&BlockCoreType);
        Py_DECREF(mod);
        return NULL;
    }
    Py_INCREF(&EncoderCoreType);
    if (PyModule_AddObject(mod, "EncoderCore", (PyObject *)&EncoderCoreType) < 0) {
        Py_DECREF(&EncoderCoreType);
        Py_DECREF(mod);
        return NULL;
    }
    return mod;
}
