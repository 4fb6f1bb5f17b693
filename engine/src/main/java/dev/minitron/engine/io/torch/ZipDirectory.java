package dev.minitron.engine.io.torch;

import dev.minitron.engine.io.CheckpointException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The central directory of a ZIP file that is already memory-mapped, read by hand because
 * {@code java.util.zip} does not say where an entry's bytes start, and a STORED entry is only
 * worth mapping if we know that. Supports ZIP64 (a 16.5 GB {@code torch.save} file needs it);
 * rejects encryption, multi-disk archives and anything that points outside the file.
 * Layout from PKWARE's APPNOTE.TXT, sections 4.3.7 (local header), 4.3.12 (central directory),
 * 4.3.14–4.3.16 (ZIP64 end records) and 4.5.3 (ZIP64 extra field).
 */
final class ZipDirectory {

    static final int METHOD_STORED = 0;
    static final int METHOD_DEFLATED = 8;

    private static final int LOCAL_SIG = 0x04034b50;
    private static final int CENTRAL_SIG = 0x02014b50;
    private static final int END_SIG = 0x06054b50;
    private static final int ZIP64_LOCATOR_SIG = 0x07064b50;
    private static final int ZIP64_END_SIG = 0x06064b50;
    private static final int MAX_ENTRIES = 1_000_000;

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** One member: where its (possibly compressed) bytes are in the file, and how to read them. */
    record Entry(String name, int method, long dataOffset, long compressedSize, long size, int crc32) {
    }

    private ZipDirectory() {
    }

    /** Every entry of the mapped ZIP {@code file}, by name, in directory order. */
    static Map<String, Entry> read(Path path, MemorySegment file) {
        long size = file.byteSize();
        long end = findEnd(path, file);
        long entries = u16(file, end + 10);
        long cdSize = u32(file, end + 12);
        long cdOffset = u32(file, end + 16);
        if (u16(file, end + 4) != 0 || u16(file, end + 6) != 0) {
            throw bad(path, "multi-disk ZIP archives are not supported");
        }
        if (entries == 0xFFFF || cdSize == 0xFFFFFFFFL || cdOffset == 0xFFFFFFFFL) {
            long locator = end - 20;
            if (locator < 0 || u32(file, locator) != ZIP64_LOCATOR_SIG) {
                throw bad(path, "ZIP end record needs ZIP64 values but there is no ZIP64 locator");
            }
            long end64 = u64(file, locator + 8);
            if (end64 < 0 || end64 > size - 56 || u32(file, end64) != ZIP64_END_SIG) {
                throw bad(path, "ZIP64 end record offset " + end64 + " does not point at a ZIP64 end record");
            }
            entries = u64(file, end64 + 32);
            cdSize = u64(file, end64 + 40);
            cdOffset = u64(file, end64 + 48);
        }
        if (entries < 0 || entries > MAX_ENTRIES) {
            throw bad(path, "ZIP claims " + Long.toUnsignedString(entries) + " entries");
        }
        if (cdOffset < 0 || cdSize < 0 || cdOffset > size || cdSize > size - cdOffset) {
            throw bad(path, "ZIP central directory [" + cdOffset + ", +" + cdSize + ") lies outside the file of " + size
                    + " bytes; the file is truncated or not a ZIP");
        }
        Map<String, Entry> out = new LinkedHashMap<>();
        long p = cdOffset;
        long cdEnd = cdOffset + cdSize;
        for (long i = 0; i < entries; i++) {
            if (p + 46 > cdEnd || u32(file, p) != CENTRAL_SIG) {
                throw bad(path, "ZIP central directory entry " + i + " at offset " + p + " is damaged");
            }
            int flags = u16(file, p + 8);
            int method = u16(file, p + 10);
            int crc = (int) u32(file, p + 16);
            long compressed = u32(file, p + 20);
            long uncompressed = u32(file, p + 24);
            int nameLength = u16(file, p + 28);
            int extraLength = u16(file, p + 30);
            int commentLength = u16(file, p + 32);
            long localOffset = u32(file, p + 42);
            long next = p + 46 + nameLength + extraLength + commentLength;
            if (next > cdEnd) {
                throw bad(path, "ZIP central directory entry " + i + " runs past the directory");
            }
            String name = new String(file.asSlice(p + 46, nameLength).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
            if ((flags & 1) != 0) {
                throw bad(path, "ZIP entry " + name + " is encrypted");
            }
            // ZIP64 extra field: holds, in this order, only the values that are 0xFFFFFFFF above.
            long x = p + 46 + nameLength;
            long xEnd = x + extraLength;
            while (x + 4 <= xEnd) {
                int id = u16(file, x);
                int length = u16(file, x + 2);
                long v = x + 4;
                if (v + length > xEnd) {
                    throw bad(path, "ZIP entry " + name + " has a damaged extra field");
                }
                if (id == 0x0001) {
                    long vEnd = v + length;
                    if (uncompressed == 0xFFFFFFFFL) {
                        uncompressed = zip64(path, file, v, vEnd, name);
                        v += 8;
                    }
                    if (compressed == 0xFFFFFFFFL) {
                        compressed = zip64(path, file, v, vEnd, name);
                        v += 8;
                    }
                    if (localOffset == 0xFFFFFFFFL) {
                        localOffset = zip64(path, file, v, vEnd, name);
                    }
                }
                x += 4 + length;
            }
            if (localOffset < 0 || localOffset > size - 30 || u32(file, localOffset) != LOCAL_SIG) {
                throw bad(path, "ZIP entry " + name + ": local header offset " + localOffset + " does not point at a local header");
            }
            long dataOffset = localOffset + 30 + u16(file, localOffset + 26) + u16(file, localOffset + 28);
            if (compressed < 0 || uncompressed < 0 || dataOffset > size || compressed > size - dataOffset) {
                throw bad(path, "ZIP entry " + name + ": data [" + dataOffset + ", +" + compressed
                        + ") runs past the end of the file (" + size + " bytes); the file is truncated");
            }
            if (method == METHOD_STORED && compressed != uncompressed) {
                throw bad(path, "ZIP entry " + name + " is stored but its sizes differ (" + compressed + " vs " + uncompressed + ")");
            }
            if (out.put(name, new Entry(name, method, dataOffset, compressed, uncompressed, crc)) != null) {
                throw bad(path, "ZIP entry " + name + " appears twice");
            }
            p = next;
        }
        return out;
    }

    /** The end-of-central-directory record: the last signature match within the last 64 KiB + 22 bytes. */
    private static long findEnd(Path path, MemorySegment file) {
        long size = file.byteSize();
        if (size < 22) {
            throw bad(path, "file of " + size + " bytes is too short to be a ZIP archive");
        }
        long stop = Math.max(0, size - 22 - 0xFFFF);
        for (long p = size - 22; p >= stop; p--) {
            if (u32(file, p) == END_SIG && p + 22 + u16(file, p + 20) == size) {
                return p;
            }
        }
        throw bad(path, "no ZIP end-of-central-directory record; the file is truncated or not a torch.save ZIP");
    }

    private static long zip64(Path path, MemorySegment file, long at, long end, String name) {
        if (at + 8 > end) {
            throw bad(path, "ZIP entry " + name + ": ZIP64 extra field is too short");
        }
        long v = u64(file, at);
        if (v < 0) {
            throw bad(path, "ZIP entry " + name + ": ZIP64 value " + Long.toUnsignedString(v) + " is out of range");
        }
        return v;
    }

    static int u16(MemorySegment s, long at) {
        return s.get(U16, at) & 0xFFFF;
    }

    static long u32(MemorySegment s, long at) {
        return s.get(U32, at) & 0xFFFFFFFFL;
    }

    static long u64(MemorySegment s, long at) {
        return s.get(U64, at);
    }

    private static CheckpointException bad(Path path, String problem) {
        return new CheckpointException(path, problem);
    }
}
