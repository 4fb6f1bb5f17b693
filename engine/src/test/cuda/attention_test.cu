// On-GPU check of attention.cu against a double-precision CPU reference, plus a small timing section.
// Build/run (GPU machine):
//   nvcc -O2 -std=c++17 -arch=sm_90 -I engine/src/main/cuda engine/src/test/cuda/attention_test.cu -o /tmp/attention_test
//   /tmp/attention_test [--no-timing]
// Prints "PASS|FAIL name shape max_abs_err=... max_rel_err=..." per case; exit code = number of failures.
#include "attention.cu"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

static int g_failures = 0;

#define CK(call)                                                                                  \
    do {                                                                                          \
        cudaError_t e_ = (call);                                                                  \
        if (e_ != cudaSuccess) {                                                                  \
            std::printf("FAIL cuda %s at %s:%d: %s\n", #call, __FILE__, __LINE__, cudaGetErrorString(e_)); \
            std::exit(100 + g_failures);                                                          \
        }                                                                                         \
    } while (0)

// ---- dtype traits (host) ----
template <typename T> struct H;
template <> struct H<__nv_bfloat16> {
    static const char* name() { return "bf16"; }
    static __nv_bfloat16 from(float f) { return __float2bfloat16_rn(f); }
    static float to(__nv_bfloat16 v) { return __bfloat162float(v); }
    static unsigned short nanBits() { return 0x7fc1; }
    static double atol() { return 1.5e-2; }
    static double rtol() { return 1e-2; }
};
template <> struct H<__half> {
    static const char* name() { return "f16"; }
    static __half from(float f) { return __float2half_rn(f); }
    static float to(__half v) { return __half2float(v); }
    static unsigned short nanBits() { return 0x7e01; }
    static double atol() { return 3e-3; }
    static double rtol() { return 2e-3; }
};
template <> struct H<float> {
    static const char* name() { return "f32"; }
    static float from(float f) { return f; }
    static float to(float v) { return v; }
    static unsigned short nanBits() { return 0; }
    static double atol() { return 5e-5; }
    static double rtol() { return 2e-4; }
};

template <typename T> static void poison(T* d, size_t count) {
    if (sizeof(T) == 2) {
        std::vector<unsigned short> p(count, H<T>::nanBits());
        CK(cudaMemcpy(d, p.data(), count * 2, cudaMemcpyHostToDevice));
    } else {
        CK(cudaMemset(d, 0xff, count * sizeof(T)));  // 0xffffffff is a NaN
    }
}

struct Shape { int heads, kvHeads, headDim, blockSize; };
struct Seq { int qlen, seqLen; };

template <typename T> struct DevBuf {
    T* p = nullptr;
    explicit DevBuf(size_t n) { CK(cudaMalloc(&p, std::max<size_t>(n, 1) * sizeof(T))); }
    ~DevBuf() { cudaFree(p); }
};

template <typename F> static void parallel_for(int n, F f) {
    int nt = (int)std::max(1u, std::min(16u, std::thread::hardware_concurrency()));
    std::vector<std::thread> th;
    for (int w = 0; w < nt; ++w) th.emplace_back([&, w] { for (int i = w; i < n; i += nt) f(i); });
    for (auto& t : th) t.join();
}

// launchers (the test's stand-in for the Java side)
template <typename T> static void launch_decode(dim3 grid, const float*, int, const T*, const T*, const int*, int,
                                                const int*, int, int, int, int, int, float, int, int, float*, float*,
                                                float*, T*);
template <typename T> static void launch_prefill(dim3 grid, const float*, int, const T*, const T*, const int*, int,
                                                 const int*, const int*, int, int, int, int, int, float, T*);

/** Runs one batch through decode (+reduce) or prefill and compares against the reference. */
template <typename T>
static void run_case(const char* name, Shape sh, const std::vector<Seq>& seqs, bool decodeMode, int partitionSize,
                     unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> uni(-1.f, 1.f);
    const int numSeqs = (int)seqs.size();
    const int H_ = sh.heads, KV = sh.kvHeads, D = sh.headDim, BS = sh.blockSize, G = H_ / KV;
    const int qkvStride = (H_ + 2 * KV) * D;
    std::vector<int> qsl(numSeqs + 1, 0), lens(numSeqs);
    int maxQ = 0, maxLen = 0, maxBlocks = 1, totalBlocks = 0;
    for (int s = 0; s < numSeqs; ++s) {
        qsl[s + 1] = qsl[s] + seqs[s].qlen;
        lens[s] = seqs[s].seqLen;
        maxQ = std::max(maxQ, seqs[s].qlen);
        maxLen = std::max(maxLen, seqs[s].seqLen);
        int nb = (seqs[s].seqLen + BS - 1) / BS;
        maxBlocks = std::max(maxBlocks, nb + 1);
        totalBlocks += nb;
    }
    const int n = qsl[numSeqs];
    const int numBlocks = totalBlocks + 7;  // spare blocks never referenced
    // shuffled, non-contiguous block ids; unused table entries point at random (wrong) blocks
    std::vector<int> ids(numBlocks);
    std::iota(ids.begin(), ids.end(), 0);
    std::shuffle(ids.begin(), ids.end(), rng);
    std::vector<int> table((size_t)numSeqs * maxBlocks);
    int next = 0;
    for (int s = 0; s < numSeqs; ++s) {
        int nb = (seqs[s].seqLen + BS - 1) / BS;
        for (int b = 0; b < maxBlocks; ++b)
            table[(size_t)s * maxBlocks + b] = b < nb ? ids[next++] : (int)(rng() % numBlocks);
    }
    const size_t cacheElems = (size_t)numBlocks * BS * KV * D;
    std::vector<T> kh(cacheElems), vh(cacheElems);
    for (size_t i = 0; i < cacheElems; ++i) { kh[i] = H<T>::from(uni(rng)); vh[i] = H<T>::from(uni(rng)); }
    std::vector<float> qkv((size_t)std::max(n, 1) * qkvStride);
    for (auto& x : qkv) x = 2.5f * uni(rng);  // peaky enough that softmax is far from uniform

    // reference (double)
    std::vector<double> ref((size_t)n * H_ * D, 0.0);
    std::vector<int> tokSeq(n), tokIdx(n);
    for (int s = 0; s < numSeqs; ++s)
        for (int i = 0; i < seqs[s].qlen; ++i) { tokSeq[qsl[s] + i] = s; tokIdx[qsl[s] + i] = i; }
    const double scale = 1.0 / std::sqrt((double)D);
    parallel_for(n, [&](int tkn) {
        int s = tokSeq[tkn];
        if (seqs[s].seqLen == 0) return;
        int pos = seqs[s].seqLen - seqs[s].qlen + tokIdx[tkn];
        std::vector<double> sc(pos + 1);
        for (int h = 0; h < H_; ++h) {
            int kvh = h / G;
            const float* q = &qkv[(size_t)tkn * qkvStride + (size_t)h * D];
            double mx = -1e300;
            for (int k = 0; k <= pos; ++k) {
                size_t slot = (size_t)table[(size_t)s * maxBlocks + k / BS] * BS + k % BS;
                const T* kr = &kh[(slot * KV + kvh) * D];
                double acc = 0;
                for (int d = 0; d < D; ++d) acc += (double)q[d] * (double)H<T>::to(kr[d]);
                sc[k] = acc * scale;
                mx = std::max(mx, sc[k]);
            }
            double sum = 0;
            for (int k = 0; k <= pos; ++k) { sc[k] = std::exp(sc[k] - mx); sum += sc[k]; }
            double* o = &ref[((size_t)tkn * H_ + h) * D];
            for (int k = 0; k <= pos; ++k) {
                size_t slot = (size_t)table[(size_t)s * maxBlocks + k / BS] * BS + k % BS;
                const T* vr = &vh[(slot * KV + kvh) * D];
                double w = sc[k] / sum;
                for (int d = 0; d < D; ++d) o[d] += w * (double)H<T>::to(vr[d]);
            }
        }
    });

    // device
    DevBuf<float> dq(qkv.size());
    DevBuf<T> dk(cacheElems), dv(cacheElems), dout((size_t)std::max(n, 1) * H_ * D);
    DevBuf<int> dtab(table.size()), dlens(numSeqs), dqsl(numSeqs + 1);
    CK(cudaMemcpy(dq.p, qkv.data(), qkv.size() * 4, cudaMemcpyHostToDevice));
    CK(cudaMemcpy(dk.p, kh.data(), cacheElems * sizeof(T), cudaMemcpyHostToDevice));
    CK(cudaMemcpy(dv.p, vh.data(), cacheElems * sizeof(T), cudaMemcpyHostToDevice));
    CK(cudaMemcpy(dtab.p, table.data(), table.size() * 4, cudaMemcpyHostToDevice));
    CK(cudaMemcpy(dlens.p, lens.data(), numSeqs * 4, cudaMemcpyHostToDevice));
    CK(cudaMemcpy(dqsl.p, qsl.data(), (numSeqs + 1) * 4, cudaMemcpyHostToDevice));
    poison(dout.p, (size_t)std::max(n, 1) * H_ * D);
    const float fscale = (float)(1.0 / std::sqrt((double)D));
    char shape[256];
    if (decodeMode) {
        const int maxPartitions = std::max(1, (maxLen + partitionSize - 1) / partitionSize);
        const size_t pn = (size_t)numSeqs * H_ * maxPartitions;
        DevBuf<float> po(pn * D), pm(pn), ps(pn);
        CK(cudaMemset(po.p, 0xff, pn * D * 4));
        CK(cudaMemset(pm.p, 0xff, pn * 4));
        CK(cudaMemset(ps.p, 0xff, pn * 4));
        launch_decode<T>(dim3(numSeqs, KV, maxPartitions), dq.p, qkvStride, dk.p, dv.p, dtab.p, maxBlocks, dlens.p,
                         numSeqs, H_, KV, D, BS, fscale, partitionSize, maxPartitions, po.p, pm.p, ps.p, dout.p);
        std::snprintf(shape, sizeof shape, "h%d/kv%d/d%d bs%d seqs%d maxLen%d part%d", H_, KV, D, BS, numSeqs, maxLen,
                      partitionSize);
    } else {
        launch_prefill<T>(dim3(numSeqs, KV, std::max(1, (maxQ + 15) / 16)), dq.p, qkvStride, dk.p, dv.p, dtab.p,
                          maxBlocks, dlens.p, dqsl.p, numSeqs, H_, KV, D, BS, fscale, dout.p);
        std::snprintf(shape, sizeof shape, "h%d/kv%d/d%d bs%d seqs%d tokens%d maxQ%d maxLen%d", H_, KV, D, BS, numSeqs,
                      n, maxQ, maxLen);
    }
    cudaError_t e = cudaDeviceSynchronize();
    if (e == cudaSuccess) e = cudaGetLastError();
    if (e != cudaSuccess) {
        std::printf("FAIL %s %s %s: %s\n", name, H<T>::name(), shape, cudaGetErrorString(e));
        std::exit(100 + g_failures);  // the context is unusable after a device fault
    }
    std::vector<T> out((size_t)n * H_ * D);
    if (n > 0) CK(cudaMemcpy(out.data(), dout.p, out.size() * sizeof(T), cudaMemcpyDeviceToHost));
    double maxAbs = 0, maxRel = 0;
    bool ok = true;
    size_t bad = 0;
    for (size_t i = 0; i < out.size(); ++i) {
        double g = H<T>::to(out[i]), r = ref[i];
        double err = std::fabs(g - r);
        if (!(err <= H<T>::atol() + H<T>::rtol() * std::fabs(r))) { ok = false; ++bad; }
        if (!(err == err)) err = INFINITY;
        maxAbs = std::max(maxAbs, err);
        maxRel = std::max(maxRel, err / std::max(std::fabs(r), 1e-2));
    }
    std::printf("%s %s %s %s max_abs_err=%.3g max_rel_err=%.3g bad=%zu/%zu\n", ok ? "PASS" : "FAIL", name, H<T>::name(),
                shape, maxAbs, maxRel, bad, out.size());
    if (!ok) ++g_failures;
}

#define LAUNCHERS(T, SUF)                                                                                         \
    template <> void launch_decode<T>(dim3 grid, const float* q, int qs, const T* k, const T* v, const int* bt,     \
                                      int mb, const int* sl, int ns, int h, int kv, int d, int bs, float sc, int ps, \
                                      int mp, float* po, float* pm, float* psum, T* out) {                        \
        paged_attention_decode_##SUF<<<grid, 128>>>(q, qs, k, v, bt, mb, sl, ns, h, kv, d, bs, sc, ps, mp, po, pm, psum); \
        CK(cudaGetLastError());                                                                                   \
        paged_attention_reduce_##SUF<<<dim3(ns, h), 128>>>(po, pm, psum, sl, ns, h, d, ps, mp, out);              \
        CK(cudaGetLastError());                                                                                   \
    }                                                                                                             \
    template <> void launch_prefill<T>(dim3 grid, const float* q, int qs, const T* k, const T* v, const int* bt,    \
                                       int mb, const int* sl, const int* qsl, int ns, int h, int kv, int d, int bs, \
                                       float sc, T* out) {                                                        \
        paged_attention_prefill_##SUF<<<grid, 128>>>(q, qs, k, v, bt, mb, sl, qsl, ns, h, kv, d, bs, sc, out);    \
        CK(cudaGetLastError());                                                                                   \
    }
LAUNCHERS(__nv_bfloat16, bf16)
LAUNCHERS(__half, f16)
LAUNCHERS(float, f32)

static std::vector<Seq> decode_batch(int count, int maxLen, unsigned seed, int paddings) {
    std::mt19937 rng(seed);
    std::vector<Seq> v;
    for (int i = 0; i < count; ++i) v.push_back({1, 1 + (int)(rng() % maxLen)});
    v.push_back({1, 1});
    v.push_back({1, maxLen});
    for (int i = 0; i < paddings; ++i) v.insert(v.begin() + (rng() % v.size()), Seq{1, 0});
    return v;
}

template <typename T> static void correctness() {
    const Shape minitron{48, 8, 128, 16}, tiny{12, 2, 16, 16}, small{3, 1, 128, 16};
    const Shape odd{4, 2, 40, 8}, wide{4, 1, 256, 32}, mha{6, 6, 64, 16};
    // decode: random context lengths 1..3000 with padding rows
    run_case<T>("decode", minitron, decode_batch(29, 3000, 1, 3), true, 512, 11);
    run_case<T>("decode", minitron, decode_batch(9, 1200, 2, 1), true, 96, 12);
    run_case<T>("decode", tiny, decode_batch(20, 3000, 3, 2), true, 512, 13);
    run_case<T>("decode", small, decode_batch(12, 2000, 4, 1), true, 512, 14);
    run_case<T>("decode", odd, decode_batch(8, 700, 5, 1), true, 128, 15);
    run_case<T>("decode", wide, decode_batch(6, 900, 6, 0), true, 512, 16);
    run_case<T>("decode", mha, decode_batch(6, 900, 7, 1), true, 512, 17);
    // prefill / mixed: whole prompts, chunked prefill (qlen < seqLen), decode tokens, padding, empty
    const std::vector<Seq> mixed = {{300, 300}, {100, 1500}, {1, 1}, {1, 2000}, {17, 17}, {16, 40},
                                    {1, 0},     {0, 5},      {33, 2900}, {5, 5}, {2, 0}};
    run_case<T>("prefill-mixed", minitron, mixed, false, 0, 21);
    run_case<T>("prefill-mixed", tiny, mixed, false, 0, 22);
    run_case<T>("prefill-mixed", small, mixed, false, 0, 23);
    const std::vector<Seq> smallMixed = {{64, 64}, {20, 300}, {1, 77}, {3, 0}, {31, 31}};
    run_case<T>("prefill-mixed", odd, smallMixed, false, 0, 24);
    run_case<T>("prefill-mixed", wide, smallMixed, false, 0, 25);
    run_case<T>("prefill-mixed", mha, smallMixed, false, 0, 26);
    run_case<T>("prefill-decode-only", minitron, decode_batch(7, 1000, 8, 1), false, 0, 27);
}

// ---- timing ----
__global__ void fill_random(unsigned short* p, size_t n, unsigned seed) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
        unsigned x = (unsigned)i * 2654435761u ^ seed;
        x ^= x >> 13; x *= 0x5bd1e995u; x ^= x >> 15;
        float f = ((x & 0xffff) / 32768.f) - 1.f;
        p[i] = __bfloat16_as_ushort(__float2bfloat16_rn(f));
    }
}

template <typename F> static float median_ms(F f, int reps = 20) {
    cudaEvent_t a, b;
    CK(cudaEventCreate(&a));
    CK(cudaEventCreate(&b));
    f();  // warm-up
    CK(cudaDeviceSynchronize());
    std::vector<float> ms;
    for (int i = 0; i < reps; ++i) {
        CK(cudaEventRecord(a));
        f();
        CK(cudaEventRecord(b));
        CK(cudaEventSynchronize(b));
        float t;
        CK(cudaEventElapsedTime(&t, a, b));
        ms.push_back(t);
    }
    std::sort(ms.begin(), ms.end());
    cudaEventDestroy(a);
    cudaEventDestroy(b);
    return ms[ms.size() / 2];
}

static void timing() {
    typedef __nv_bfloat16 T;
    const int H_ = 48, KV = 8, D = 128, BS = 16, ctx = 1024, qkvStride = (H_ + 2 * KV) * D;
    const int maxBatch = 256, blocksPerSeq = ctx / BS;
    const size_t numBlocks = (size_t)maxBatch * blocksPerSeq;
    const size_t cacheElems = numBlocks * BS * KV * D;
    DevBuf<T> dk(cacheElems), dv(cacheElems);
    fill_random<<<1024, 256>>>(reinterpret_cast<unsigned short*>(dk.p), cacheElems, 1);
    fill_random<<<1024, 256>>>(reinterpret_cast<unsigned short*>(dv.p), cacheElems, 2);
    std::vector<int> ids(numBlocks);
    std::iota(ids.begin(), ids.end(), 0);
    std::shuffle(ids.begin(), ids.end(), std::mt19937(5));
    DevBuf<int> dtab(numBlocks), dlens(maxBatch), dqsl(2);
    CK(cudaMemcpy(dtab.p, ids.data(), numBlocks * 4, cudaMemcpyHostToDevice));
    std::vector<int> lens(maxBatch, ctx);
    CK(cudaMemcpy(dlens.p, lens.data(), maxBatch * 4, cudaMemcpyHostToDevice));
    const int prompt = 1000;
    std::vector<float> q((size_t)std::max(maxBatch, prompt) * qkvStride);
    std::mt19937 rng(9);
    std::uniform_real_distribution<float> uni(-1.f, 1.f);
    for (auto& x : q) x = uni(rng);
    DevBuf<float> dq(q.size());
    CK(cudaMemcpy(dq.p, q.data(), q.size() * 4, cudaMemcpyHostToDevice));
    DevBuf<T> dout((size_t)std::max(maxBatch, prompt) * H_ * D);
    const float sc = 1.f / std::sqrt((float)D);
    for (int part : {512, 128}) {
        const int maxPartitions = (4096 + part - 1) / part;  // maxModelLen 4096
        const size_t pn = (size_t)maxBatch * H_ * maxPartitions;
        DevBuf<float> po(pn * D), pm(pn), ps(pn);
        for (int batch : {1, 64, 256}) {
            float tDec = median_ms([&] {
                paged_attention_decode_bf16<<<dim3(batch, KV, maxPartitions), 128>>>(
                    dq.p, qkvStride, dk.p, dv.p, dtab.p, blocksPerSeq, dlens.p, batch, H_, KV, D, BS, sc, part,
                    maxPartitions, po.p, pm.p, ps.p);
            });
            float tAll = median_ms([&] {
                paged_attention_decode_bf16<<<dim3(batch, KV, maxPartitions), 128>>>(
                    dq.p, qkvStride, dk.p, dv.p, dtab.p, blocksPerSeq, dlens.p, batch, H_, KV, D, BS, sc, part,
                    maxPartitions, po.p, pm.p, ps.p);
                paged_attention_reduce_bf16<<<dim3(batch, H_), 128>>>(po.p, pm.p, ps.p, dlens.p, batch, H_, D, part,
                                                                     maxPartitions, dout.p);
            });
            CK(cudaGetLastError());
            double bytes = 2.0 * batch * ctx * KV * D * sizeof(T);
            std::printf("TIME decode bf16 48/8/128 batch=%d ctx=%d part=%d: decode %.1f us (%.0f GB/s KV), "
                        "decode+reduce %.1f us (%.0f GB/s)\n",
                        batch, ctx, part, tDec * 1e3, bytes / (tDec * 1e-3) / 1e9, tAll * 1e3,
                        bytes / (tAll * 1e-3) / 1e9);
        }
    }
    // prefill: one 1000-token prompt (context = prompt)
    std::vector<int> one = {prompt};
    std::vector<int> qsl = {0, prompt};
    CK(cudaMemcpy(dlens.p, one.data(), 4, cudaMemcpyHostToDevice));
    CK(cudaMemcpy(dqsl.p, qsl.data(), 8, cudaMemcpyHostToDevice));
    float tPre = median_ms([&] {
        paged_attention_prefill_bf16<<<dim3(1, KV, (prompt + 15) / 16), 128>>>(
            dq.p, qkvStride, dk.p, dv.p, dtab.p, blocksPerSeq, dlens.p, dqsl.p, 1, H_, KV, D, BS, sc, dout.p);
    });
    CK(cudaGetLastError());
    double flops = 4.0 * H_ * D * (double)prompt * (prompt + 1) / 2;  // QK + PV, causal
    std::printf("TIME prefill bf16 48/8/128 prompt=%d: %.1f us (%.2f TFLOP/s causal)\n", prompt, tPre * 1e3,
                flops / (tPre * 1e-3) / 1e12);
}

int main(int argc, char** argv) {
    bool timingOn = !(argc > 1 && std::strcmp(argv[1], "--no-timing") == 0);
    correctness<__nv_bfloat16>();
    correctness<__half>();
    correctness<float>();
    if (timingOn) timing();
    std::printf("%s attention: %d failure(s)\n", g_failures ? "FAIL" : "PASS", g_failures);
    return g_failures;
}
