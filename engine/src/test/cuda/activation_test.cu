// activation_test.cu: relu2_T (out = max(x,0)^2, fp32 in, T out) against the CPU formula, all dtypes;
// counts from 1 to Minitron-8B's n=256 x intermediate 16384, counts with a tail (count % 8 != 0),
// a grid smaller than the work (grid-stride loop: count > 65535*256) and misaligned pointers (the
// scalar path). Launch geometry as the Java side: grid min(ceil(count/256), 65535), block 256.
// The result is exact in fp32, so bf16/f16 must equal the reference rounded to T (<= 1 ulp allowed).
#include "activation.cu"  // -I engine/src/main/cuda
#include "test_util.cuh"

template <typename T> void launch(const float* in, T* out, long long count) {
    long long blocks = (count + 255) / 256;
    int grid = (int)(blocks < 65535 ? (blocks > 0 ? blocks : 1) : 65535);
    if constexpr (std::is_same_v<T, __nv_bfloat16>) relu2_bf16<<<grid, 256>>>(in, out, count);
    else if constexpr (std::is_same_v<T, __half>) relu2_f16<<<grid, 256>>>(in, out, count);
    else relu2_f32<<<grid, 256>>>(in, out, count);
}

template <typename T> void run_case(const char* what, long long count, int misalign, unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<float> in = tu::random_floats(rng, (size_t)count + misalign, 0.0f, 3.0f);
    tu::DevBuf<float> dIn(in.size());
    tu::DevBuf<T> dOut((size_t)count + misalign + 1);  // +1: a guard element after the output
    dIn.upload(in);
    dOut.poison();
    launch<T>(dIn.p + misalign, dOut.p + misalign, count);
    TU_LAUNCHED();
    std::vector<T> out = dOut.download();

    char shape[120];
    std::snprintf(shape, sizeof shape, "%s %s count=%lld misalign=%d", tu::Dt<T>::name, what, count, misalign);
    tu::Compare cmp(std::string("relu2_") + tu::Dt<T>::name, shape);
    for (long long i = 0; i < count; ++i) {
        double x = in[(size_t)(i + misalign)];
        double r = x > 0 ? x * x : 0.0;
        cmp.add<T>(i, tu::Dt<T>::to_f(out[(size_t)(i + misalign)]), r, 1e-6, 1e-30);
    }
    bool guards = tu::is_nan_bits(&out[(size_t)count + misalign], sizeof(T));
    if (misalign) guards = guards && tu::is_nan_bits(&out[0], misalign * sizeof(T));
    cmp.require(guards, "wrote outside [0, count)");
    cmp.report();
}

template <typename T> void run_all() {
    unsigned seed = 300;
    run_case<T>("single", 1, 0, seed++);
    run_case<T>("tail", 7, 0, seed++);
    run_case<T>("tail", 8 * 1000 + 5, 0, seed++);
    run_case<T>("minitron8b_n1", 16384, 0, seed++);
    run_case<T>("minitron8b_n7", 7LL * 16384, 0, seed++);
    run_case<T>("minitron8b_n256", 256LL * 16384, 0, seed++);
    run_case<T>("grid_stride", 65535LL * 256 * 2 + 13, 0, seed++);
    run_case<T>("misaligned", 1000, 1, seed++);
    run_case<T>("tiny_n7", 7LL * 384, 0, seed++);
}

int main() {
    run_all<__nv_bfloat16>();
    run_all<__half>();
    run_all<float>();
    return tu::finish("activation_test");
}
