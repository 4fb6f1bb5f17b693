package dev.minitron.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ProtoWireTest {

    @Test
    void writtenFieldsReadBackWithTheirValues() {
        ProtoWriter w = new ProtoWriter();
        w.writeInt32(1, 300);
        w.writeInt32(2, -1);
        w.writeFloat(3, -2.5f);
        w.writeString(4, "▁héllo");
        w.writeBool(5, true);
        ProtoReader r = new ProtoReader(w.toByteArray());

        assertThat(r.readTag()).isEqualTo(1 << 3 | ProtoReader.VARINT);
        assertThat(r.readInt32()).isEqualTo(300);
        assertThat(r.readTag()).isEqualTo(2 << 3 | ProtoReader.VARINT);
        assertThat(r.readInt32()).isEqualTo(-1);
        assertThat(r.readTag()).isEqualTo(3 << 3 | ProtoReader.FIXED32);
        assertThat(r.readFloat()).isEqualTo(-2.5f);
        assertThat(r.readTag()).isEqualTo(4 << 3 | ProtoReader.LEN);
        assertThat(r.readString()).isEqualTo("▁héllo");
        assertThat(r.readTag()).isEqualTo(5 << 3 | ProtoReader.VARINT);
        assertThat(r.readBool()).isTrue();
        assertThat(r.hasMore()).isFalse();
    }

    @Test
    void negativeInt32TakesTenBytesAsInProtobuf() {
        ProtoWriter w = new ProtoWriter();
        w.writeInt32(1, -1);
        assertThat(w.toByteArray()).hasSize(11);
    }

    @Test
    void unknownFieldsOfEveryWireTypeAreSkipped() {
        byte[] bytes = {0x08, (byte) 0x96, 0x01, 0x11, 1, 2, 3, 4, 5, 6, 7, 8, 0x1A, 0x02, 'h', 'i', 0x25, 1, 2, 3, 4};
        ProtoReader r = new ProtoReader(bytes);
        int fields = 0;
        while (r.hasMore()) {
            r.skip(r.readTag());
            fields++;
        }
        assertThat(fields).isEqualTo(4);
    }

    @Test
    void truncatedVarintFailsNamingItsOffset() {
        ProtoReader r = new ProtoReader(new byte[] {0x08, (byte) 0x96});
        r.readTag();
        assertThatThrownBy(r::readVarint).isInstanceOf(InvalidModelException.class)
                .hasMessageContaining("truncated varint at byte 1");
    }

    @Test
    void lengthPastTheEndFailsWithoutAllocatingIt() {
        // field 1, length-delimited, length 2^31 - 1, followed by nothing
        ProtoReader r = new ProtoReader(new byte[] {0x0A, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07});
        r.readTag();
        assertThatThrownBy(r::readBytes).isInstanceOf(InvalidModelException.class)
                .hasMessageContaining("runs past the end");
    }

    @Test
    void groupWireTypeIsRejected() {
        ProtoReader r = new ProtoReader(new byte[] {0x0B});
        assertThatThrownBy(() -> r.skip(r.readTag())).isInstanceOf(InvalidModelException.class)
                .hasMessageContaining("unsupported wire type 3");
    }

    @Test
    void fieldNumberZeroIsRejected() {
        assertThatThrownBy(() -> new ProtoReader(new byte[] {0x00}).readTag())
                .isInstanceOf(InvalidModelException.class).hasMessageContaining("invalid field number 0");
    }
}
