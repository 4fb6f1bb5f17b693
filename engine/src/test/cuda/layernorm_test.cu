// layernorm_test.cu: layernorm1p_T against a double-precision two-pass LayerNorm (as cpu/LayerNorm1P
// defines it), all dtypes; rows = null and a gather with a padding entry (-1 -> zero row); inputs
// with a large common offset (where a one-pass E[x^2]-mean^2 would lose digits); hidden 16384 (rows
// too long for the register cache: the re-read path) and a hidden size that is not a multiple of 8
// (scalar path). bf16/f16: within 1 ulp of the reference rounded to T;
// f32: relative 1e-5 (floor 1). Also checks that two identical rows give bit-identical outputs.
#include "layernorm.cu"  // -I engine/src/main/cuda
#include "test_util.cuh"

template <typename T>
void launch(const float* h, const float* g, const float* b, T* out, const int* rows, int n, int hidden, float eps) {
    if constexpr (std::is_same_v<T, __nv_bfloat16>) layernorm1p_bf16<<<n, 256>>>(h, g, b, out, rows, n, hidden, eps);
    else if constexpr (std::is_same_v<T, __half>) layernorm1p_f16<<<n, 256>>>(h, g, b, out, rows, n, hidden, eps);
    else layernorm1p_f32<<<n, 256>>>(h, g, b, out, rows, n, hidden, eps);
}

template <typename T> void run_case(int hidden, int n, bool gather, float offset, unsigned seed) {
    const float eps = 1e-5f;
    std::mt19937 rng(seed);
    const int inRows = gather ? n + 3 : n;
    std::vector<float> h = tu::random_floats(rng, (size_t)inRows * hidden, offset, 1.5f);
    if (inRows > 2) std::copy(h.begin(), h.begin() + hidden, h.begin() + (size_t)(inRows - 1) * hidden);  // dup row
    std::vector<float> w = tu::random_floats(rng, hidden, 0.0f, 0.1f);
    std::vector<float> gamma(hidden), beta = tu::random_floats(rng, hidden, 0.0f, 0.1f);
    for (int c = 0; c < hidden; ++c) gamma[c] = tu::round_to<T>(1.0f + tu::round_to<T>(w[c]));  // 1 + w in T
    std::vector<int> rows;
    if (gather) {
        std::uniform_int_distribution<int> pick(0, inRows - 1);
        rows.resize(n);
        for (int i = 0; i < n; ++i) rows[i] = pick(rng);
        rows[0] = 0;
        if (n > 1) rows[n - 1] = inRows - 1;  // same values as row 0
        if (n > 2) rows[n / 2] = -1;          // padding
    }

    tu::DevBuf<float> dH(h.size()), dG(hidden), dB(hidden);
    tu::DevBuf<int> dRows(gather ? n : 1);
    tu::DevBuf<T> dOut((size_t)n * hidden);
    dH.upload(h);
    dG.upload(gamma);
    dB.upload(beta);
    if (gather) dRows.upload(rows);
    dOut.poison();
    launch<T>(dH.p, dG.p, dB.p, dOut.p, gather ? dRows.p : nullptr, n, hidden, eps);
    TU_LAUNCHED();
    std::vector<T> out = dOut.download();

    char shape[160];
    std::snprintf(shape, sizeof shape, "%s hidden=%d n=%d rows=%s offset=%g", tu::Dt<T>::name, hidden, n,
                  gather ? "gather" : "null", offset);
    tu::Compare cmp(std::string("layernorm1p_") + tu::Dt<T>::name, shape);
    for (int i = 0; i < n; ++i) {
        const int r = gather ? rows[i] : i;
        double mean = 0, var = 0, inv = 0;
        if (r >= 0) {
            const float* x = &h[(size_t)r * hidden];
            for (int c = 0; c < hidden; ++c) mean += x[c];
            mean /= hidden;
            for (int c = 0; c < hidden; ++c) var += (x[c] - mean) * (x[c] - mean);
            var /= hidden;
            inv = 1.0 / std::sqrt(var + (double)eps);
        }
        for (int c = 0; c < hidden; ++c) {
            double want = r < 0 ? 0.0 : ((double)h[(size_t)r * hidden + c] - mean) * inv * gamma[c] + beta[c];
            cmp.add<T>((long long)i * hidden + c, tu::Dt<T>::to_f(out[(size_t)i * hidden + c]), want, 1e-5, 1.0);
        }
    }
    if (gather && n > 1) {  // rows 0 and n-1 read identical data: fixed-order reduction => identical bits
        cmp.require(std::memcmp(&out[0], &out[(size_t)(n - 1) * hidden], hidden * sizeof(T)) == 0,
                    "identical input rows gave different outputs (non-deterministic reduction?)");
    }
    cmp.report();
}

template <typename T> void run_all() {
    unsigned seed = 100;
    for (int n : {1, 7, 256}) {
        run_case<T>(4096, n, false, 0.0f, seed++);  // Minitron-8B
        run_case<T>(4096, n, true, 0.0f, seed++);
    }
    run_case<T>(4096, 7, false, 40.0f, seed++);  // large mean
    for (int hidden : {96, 256}) {               // tiny, head128 presets
        for (int n : {1, 7}) run_case<T>(hidden, n, false, 0.0f, seed++);
        run_case<T>(hidden, 7, true, 3.0f, seed++);
    }
    run_case<T>(16384, 3, true, 1.0f, seed++);  // longer than the register cache: re-read path
    run_case<T>(100, 5, true, 0.5f, seed++);    // hidden % 8 != 0: scalar path
}

int main() {
    run_all<__nv_bfloat16>();
    run_all<__half>();
    run_all<float>();
    return tu::finish("layernorm_test");
}
