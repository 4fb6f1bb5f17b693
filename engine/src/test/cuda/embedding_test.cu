// embedding_test.cu: embed_T against a CPU gather, all dtypes, Minitron-8B and tiny hidden sizes,
// padding rows (token -1 -> zeros) and a hidden size that is not a multiple of 8 (scalar path).
#include "embedding.cu"  // -I engine/src/main/cuda
#include "test_util.cuh"

template <typename T> void run_case(int vocab, int hidden, int n, unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<T> table = tu::to_dtype<T>(tu::random_floats(rng, (size_t)vocab * hidden, 0.0f, 0.05f));
    std::uniform_int_distribution<int> tok(0, vocab - 1);
    std::vector<int> ids(n);
    for (int i = 0; i < n; ++i) ids[i] = tok(rng);
    ids[n - 1] = vocab - 1;            // last row of the table
    if (n > 1) ids[n / 2] = -1;        // a padding row
    if (n > 3) ids[1] = -1;

    tu::DevBuf<T> dTable(table.size());
    tu::DevBuf<int> dIds(n);
    tu::DevBuf<float> dH((size_t)n * hidden);
    dTable.upload(table);
    dIds.upload(ids);
    dH.poison();
    if constexpr (sizeof(T) == 2 && std::is_same_v<T, __nv_bfloat16>) {
        embed_bf16<<<n, 256>>>(dTable.p, dIds.p, dH.p, n, hidden);
    } else if constexpr (sizeof(T) == 2) {
        embed_f16<<<n, 256>>>(dTable.p, dIds.p, dH.p, n, hidden);
    } else {
        embed_f32<<<n, 256>>>(dTable.p, dIds.p, dH.p, n, hidden);
    }
    TU_LAUNCHED();
    std::vector<float> h = dH.download();

    char shape[128];
    std::snprintf(shape, sizeof shape, "%s vocab=%d hidden=%d n=%d", tu::Dt<T>::name, vocab, hidden, n);
    tu::Compare cmp(std::string("embed_") + tu::Dt<T>::name, shape);
    for (int i = 0; i < n; ++i)
        for (int c = 0; c < hidden; ++c) {
            double want = ids[i] < 0 ? 0.0 : (double)tu::Dt<T>::to_f(table[(size_t)ids[i] * hidden + c]);
            // a gather is exact: any difference at all is a bug
            cmp.add<T>((long long)i * hidden + c, h[(size_t)i * hidden + c], want, 0.0, 1.0);
        }
    cmp.report();
}

template <typename T> void run_all() {
    unsigned seed = 1;
    for (int n : {1, 7, 256}) run_case<T>(2048, 4096, n, seed++);  // Minitron-8B hidden
    for (int n : {1, 7, 64}) run_case<T>(300, 96, n, seed++);      // tiny preset
    for (int n : {1, 7, 64}) run_case<T>(300, 256, n, seed++);     // head128 preset
    run_case<T>(300, 100, 9, seed++);                              // hidden % 8 != 0: scalar path
}

int main() {
    run_all<__nv_bfloat16>();
    run_all<__half>();
    run_all<float>();
    return tu::finish("embedding_test");
}
