// model_kernels_bench.cu: informational timings (never fails) of embed / layernorm1p / rope_kv_write /
// relu2 at Minitron-8B shapes, bf16, for decode (n=1) and prefill-ish (n=256, 4096) token counts.
// Prints "PERF kernel shape us=... GB/s=..." where GB/s counts the bytes a kernel must move at least
// once (reads + writes), to compare with the card's ~3-4.8 TB/s.
#include "activation.cu"  // -I engine/src/main/cuda
#include "embedding.cu"
#include "layernorm.cu"
#include "rope_kv.cu"
#include "test_util.cuh"

template <typename F> float time_us(F launch, int iters = 50) {
    cudaEvent_t a, b;
    TU_CHECK(cudaEventCreate(&a));
    TU_CHECK(cudaEventCreate(&b));
    for (int i = 0; i < 5; ++i) launch();
    TU_LAUNCHED();
    TU_CHECK(cudaEventRecord(a));
    for (int i = 0; i < iters; ++i) launch();
    TU_CHECK(cudaEventRecord(b));
    TU_LAUNCHED();
    float ms = 0;
    TU_CHECK(cudaEventElapsedTime(&ms, a, b));
    cudaEventDestroy(a);
    cudaEventDestroy(b);
    return ms * 1000.0f / iters;
}

static void perf(const char* kernel, int n, double bytes, float us) {
    std::printf("PERF %s n=%d us=%.2f GB/s=%.0f\n", kernel, n, us, bytes / (us * 1e-6) / 1e9);
    std::fflush(stdout);
}

int main() {
    typedef __nv_bfloat16 T;
    const int hidden = 4096, vocab = 256000, heads = 48, kvHeads = 8, headDim = 128, half = 32, inter = 16384;
    const int stride = (heads + 2 * kvHeads) * headDim, kvLen = kvHeads * headDim;
    const int maxN = 4096;
    tu::DevBuf<T> table((size_t)vocab * hidden);
    TU_CHECK(cudaMemset(table.p, 0, table.n * sizeof(T)));
    tu::DevBuf<float> h((size_t)maxN * hidden), gamma(hidden), beta(hidden), qkv((size_t)maxN * stride);
    tu::DevBuf<float> cosT((size_t)maxN * half), sinT((size_t)maxN * half), act((size_t)maxN * inter);
    tu::DevBuf<T> out((size_t)maxN * hidden), kc((size_t)maxN * kvLen), vc((size_t)maxN * kvLen), actOut((size_t)maxN * inter);
    TU_CHECK(cudaMemset(h.p, 0, h.n * 4));
    TU_CHECK(cudaMemset(gamma.p, 0, gamma.n * 4));
    TU_CHECK(cudaMemset(beta.p, 0, beta.n * 4));
    TU_CHECK(cudaMemset(qkv.p, 0, qkv.n * 4));
    TU_CHECK(cudaMemset(cosT.p, 0, cosT.n * 4));
    TU_CHECK(cudaMemset(sinT.p, 0, sinT.n * 4));
    TU_CHECK(cudaMemset(act.p, 0, act.n * 4));
    std::vector<int> ids(maxN), pos(maxN), slots(maxN);
    for (int i = 0; i < maxN; ++i) {
        ids[i] = (int)((i * 7919LL) % vocab);
        pos[i] = i;
        slots[i] = i;
    }
    tu::DevBuf<int> dIds(maxN), dPos(maxN), dSlots(maxN);
    dIds.upload(ids);
    dPos.upload(pos);
    dSlots.upload(slots);

    for (int n : {1, 256, 4096}) {
        perf("embed_bf16", n, (double)n * hidden * (2 + 4),
             time_us([&] { embed_bf16<<<n, 256>>>(table.p, dIds.p, h.p, n, hidden); }));
        perf("layernorm1p_bf16", n, (double)n * hidden * (4 + 2) + hidden * 8.0,
             time_us([&] { layernorm1p_bf16<<<n, 256>>>(h.p, gamma.p, beta.p, out.p, nullptr, n, hidden, 1e-5f); }));
        perf("rope_kv_write_bf16", n, (double)n * ((heads + kvHeads) * 2 * half * 4 * 2 + 2 * kvLen * (4 + 2)),
             time_us([&] {
                 rope_kv_write_bf16<<<n, 128>>>(qkv.p, stride, dPos.p, dSlots.p, cosT.p, sinT.p, half, kc.p, vc.p, n,
                                                heads, kvHeads, headDim);
             }));
        long long count = (long long)n * inter;
        int grid = (int)std::min<long long>((count + 255) / 256, 65535);
        perf("relu2_bf16", n, (double)count * (4 + 2),
             time_us([&] { relu2_bf16<<<grid, 256>>>(act.p, actOut.p, count); }));
    }
    return 0;
}
