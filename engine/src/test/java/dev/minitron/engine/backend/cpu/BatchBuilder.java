package dev.minitron.engine.backend.cpu;

import dev.minitron.engine.backend.ForwardBatch;
import java.util.ArrayList;
import java.util.List;

/** Builds {@link ForwardBatch}es the way the engine's scheduler would: new tokens appended to cached ones. */
public final class BatchBuilder {

    private final int blockSize;
    private final List<Integer> tokens = new ArrayList<>();
    private final List<Integer> positions = new ArrayList<>();
    private final List<Integer> slots = new ArrayList<>();
    private final List<Integer> starts = new ArrayList<>(List.of(0));
    private final List<Integer> seqLens = new ArrayList<>();
    private final List<int[]> blockTables = new ArrayList<>();
    private final List<Integer> logitsRows = new ArrayList<>();

    public BatchBuilder(int blockSize) {
        this.blockSize = blockSize;
    }

    /** A sequence with {@code cached} tokens already in the cache, now computing {@code newTokens}. */
    public BatchBuilder add(int[] blockTable, int cached, int[] newTokens, boolean logitsForEveryToken) {
        for (int i = 0; i < newTokens.length; i++) {
            int position = cached + i;
            if (logitsForEveryToken || i == newTokens.length - 1) {
                logitsRows.add(tokens.size());
            }
            tokens.add(newTokens[i]);
            positions.add(position);
            slots.add(blockTable[position / blockSize] * blockSize + position % blockSize);
        }
        starts.add(tokens.size());
        seqLens.add(cached + newTokens.length);
        blockTables.add(blockTable);
        return this;
    }

    public ForwardBatch build() {
        return new ForwardBatch(ints(tokens), ints(positions), ints(slots), ints(starts), ints(seqLens),
                blockTables.toArray(int[][]::new), ints(logitsRows));
    }

    private static int[] ints(List<Integer> list) {
        return list.stream().mapToInt(Integer::intValue).toArray();
    }
}
