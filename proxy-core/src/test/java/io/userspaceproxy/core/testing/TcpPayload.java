package io.userspaceproxy.core.testing;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Random;
import java.util.zip.CRC32;

/**
 * A reproducible byte stream for transfer tests and its checksum. Byte {@code i} of every stream is
 * {@code BLOCK[i % BLOCK.length]}, a seeded random block of a prime length, so a lost, repeated or reordered buffer
 * (which is a power of two long) changes the CRC32.
 */
public final class TcpPayload {

    private static final byte[] BLOCK = new byte[65_521];

    static {
        new Random(0x5eed).nextBytes(BLOCK);
    }

    private TcpPayload() {
    }

    /** Byte count and CRC32 of a stream. */
    public record Summary(long length, long crc32) {

        public void writeTo(DataOutputStream out) throws IOException {
            out.writeLong(length);
            out.writeLong(crc32);
        }

        public static Summary readFrom(InputStream in) throws IOException {
            DataInputStream data = new DataInputStream(in);
            return new Summary(data.readLong(), data.readLong());
        }
    }

    /** What the first {@code length} bytes of the payload sum to. */
    public static Summary expected(long length) {
        CRC32 crc = new CRC32();
        long left = length;
        while (left > 0) {
            int n = (int) Math.min(left, BLOCK.length);
            crc.update(BLOCK, 0, n);
            left -= n;
        }
        return new Summary(length, crc.getValue());
    }

    /** Writes the first {@code length} bytes of the payload. */
    public static void write(OutputStream out, long length) throws IOException {
        long left = length;
        while (left > 0) {
            int n = (int) Math.min(left, BLOCK.length);
            out.write(BLOCK, 0, n);
            left -= n;
        }
    }

    /** Reads until end of stream and sums what arrived. */
    public static Summary readToEnd(InputStream in) throws IOException {
        CRC32 crc = new CRC32();
        byte[] buffer = new byte[64 * 1024];
        long length = 0;
        int n;
        while ((n = in.read(buffer)) >= 0) {
            crc.update(buffer, 0, n);
            length += n;
        }
        return new Summary(length, crc.getValue());
    }
}
