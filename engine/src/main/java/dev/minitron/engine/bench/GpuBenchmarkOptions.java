package dev.minitron.engine.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of {@link GpuBenchmark}. Defaults are the GPU run's (Minitron-8B on an H100);
 * the CPU smoke test shrinks every size.
 *
 * @param shapes      prompt/output token pairs for the throughput runs ({@code --shapes 128:128,1000:1000},
 *                    or one pair with {@code --in N --out M})
 * @param concurrency per shape, the numbers of requests submitted at once ({@code --concurrency 1,64,256}
 *                    for every shape, or one list per shape: {@code --concurrency "1,64,256;32,64"})
 */
record GpuBenchmarkOptions(
        Path model,
        String device,
        int threads,
        List<int[]> shapes,
        List<List<Integer>> concurrency,
        int decodeTokens,
        int decodePrompt,
        int ttftPrompt,
        int repeats,
        int maxNumSeqs,
        int maxNumBatchedTokens,
        double gpuMemoryUtilization,
        long kvCacheBytes,
        boolean prefixCaching,
        long timeoutSeconds,
        long seed,
        Path json) {

    static final String USAGE = """
            usage: GpuBenchmark --model DIR [--device auto|cpu|cuda] [--threads N]
                [--shapes 128:128,1000:1000 | --in N --out M] [--concurrency 1,64,256 | "1,64,256;32,64"]
                [--decode-tokens 128] [--decode-prompt 32] [--ttft-prompt 1000] [--repeats 5]
                [--max-num-seqs N (default: the largest concurrency)] [--max-num-batched-tokens 8192]
                [--gpu-memory-utilization 0.9] [--kv-cache-mb 4096 (cpu backend)] [--prefix-caching]
                [--timeout-s 600 (per measurement)] [--seed 1] [--json FILE]""";

    static GpuBenchmarkOptions parse(String[] args) {
        Path model = null;
        Path json = null;
        String device = "auto";
        int threads = 0;
        String shapes = "128:128,1000:1000";
        Integer in = null;
        Integer out = null;
        String concurrency = "1,64,256";
        int decodeTokens = 128;
        int decodePrompt = 32;
        int ttftPrompt = 1000;
        int repeats = 5;
        int maxNumSeqs = 0;
        int maxNumBatchedTokens = 8192;
        double gpuMemoryUtilization = 0.9;
        long kvCacheMb = 4096;
        boolean prefixCaching = false;
        long timeout = 600;
        long seed = 1;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--prefix-caching")) {
                prefixCaching = true;
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(a + " needs a value");
            }
            String v = args[++i];
            switch (a) {
                case "--model" -> model = Path.of(v);
                case "--device" -> device = v;
                case "--threads" -> threads = Integer.parseInt(v);
                case "--shapes" -> shapes = v;
                case "--in" -> in = Integer.parseInt(v);
                case "--out" -> out = Integer.parseInt(v);
                case "--concurrency" -> concurrency = v;
                case "--decode-tokens" -> decodeTokens = Integer.parseInt(v);
                case "--decode-prompt" -> decodePrompt = Integer.parseInt(v);
                case "--ttft-prompt" -> ttftPrompt = Integer.parseInt(v);
                case "--repeats" -> repeats = Integer.parseInt(v);
                case "--max-num-seqs" -> maxNumSeqs = Integer.parseInt(v);
                case "--max-num-batched-tokens" -> maxNumBatchedTokens = Integer.parseInt(v);
                case "--gpu-memory-utilization" -> gpuMemoryUtilization = Double.parseDouble(v);
                case "--kv-cache-mb" -> kvCacheMb = Long.parseLong(v);
                case "--timeout-s" -> timeout = Long.parseLong(v);
                case "--seed" -> seed = Long.parseLong(v);
                case "--json" -> json = Path.of(v);
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (model == null) {
            throw new IllegalArgumentException("--model is required");
        }
        if ((in == null) != (out == null)) {
            throw new IllegalArgumentException("--in and --out go together");
        }
        List<int[]> shapeList = in != null ? List.of(new int[] {in, out}) : parseShapes(shapes);
        List<List<Integer>> conc = new ArrayList<>();
        for (String part : concurrency.split(";")) {
            List<Integer> list = new ArrayList<>();
            for (String c : part.split(",")) {
                list.add(Integer.parseInt(c.trim()));
            }
            conc.add(List.copyOf(list));
        }
        if (conc.size() == 1) {
            conc = java.util.Collections.nCopies(shapeList.size(), conc.getFirst());
        }
        if (conc.size() != shapeList.size()) {
            throw new IllegalArgumentException("--concurrency needs one list, or one per shape (" + shapeList.size() + ")");
        }
        if (maxNumSeqs <= 0) {
            maxNumSeqs = conc.stream().flatMap(List::stream).mapToInt(Integer::intValue).max().orElse(1);
        }
        return new GpuBenchmarkOptions(model, device, threads, shapeList, List.copyOf(conc), decodeTokens, decodePrompt,
                ttftPrompt, repeats, maxNumSeqs, maxNumBatchedTokens, gpuMemoryUtilization, kvCacheMb << 20,
                prefixCaching, timeout, seed, json);
    }

    private static List<int[]> parseShapes(String spec) {
        List<int[]> list = new ArrayList<>();
        for (String s : spec.split(",")) {
            String[] p = s.trim().split(":");
            if (p.length != 2) {
                throw new IllegalArgumentException("a shape is IN:OUT, got \"" + s + "\"");
            }
            list.add(new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1])});
        }
        return List.copyOf(list);
    }
}
