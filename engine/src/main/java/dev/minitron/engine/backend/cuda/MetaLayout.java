package dev.minitron.engine.backend.cuda;

/**
 * Where each of a step's int arrays sits in the metadata buffer, in ints from its start:
 * {@code tokenIds[n] positions[n] slotMapping[n] queryStartLoc[seqs+1] seqLens[seqs]
 * logitsIndices[rows] blockTables[seqs × maxBlocksPerSeq]}, each 16-byte aligned. For a given
 * (n, seqs, rows) the offsets are always the same, which is what lets a captured decode graph be
 * replayed with new contents. Pure Java.
 */
record MetaLayout(int tokenIds, int positions, int slotMapping, int queryStartLoc, int seqLens, int logitsIndices,
                  int blockTables, int blockTableStride, int totalInts) {

    static MetaLayout of(int n, int seqs, int rows, int maxBlocksPerSeq) {
        int at = 0;
        int tokenIds = at;
        at = align(at + n);
        int positions = at;
        at = align(at + n);
        int slots = at;
        at = align(at + n);
        int qsl = at;
        at = align(at + seqs + 1);
        int seqLens = at;
        at = align(at + seqs);
        int logits = at;
        at = align(at + rows);
        int tables = at;
        at = align(at + seqs * maxBlocksPerSeq);
        return new MetaLayout(tokenIds, positions, slots, qsl, seqLens, logits, tables, maxBlocksPerSeq, at);
    }

    static long capacityInts(int n, int seqs, int rows, int maxBlocksPerSeq) {
        return of(n, seqs, rows, maxBlocksPerSeq).totalInts();
    }

    private static int align(int ints) {
        return (ints + 3) & ~3;
    }
}
