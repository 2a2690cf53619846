package dev.rotakey.core;

import java.nio.CharBuffer;
import java.util.Arrays;
import java.util.Objects;
import java.util.zip.CRC32;

/**
 * The shape of Rotakey's API keys: {@code rk_}, 43 base62 characters carrying 256 random bits,
 * and a 6-character base62 CRC32 checksum of everything before it. Leaked keys are easy to find
 * with {@link #REGEX} (for example as a gitleaks rule), and {@link #parse} tells a mistyped or
 * truncated key apart from a well-formed one without any database lookup.
 */
public final class ApiKeyFormat {
    public static final String PREFIX = "rk_";
    public static final int RANDOM_BYTES = 32;
    /** Characters of the random part: ceil(256 / log2(62)) = 43, left-padded with '0'. */
    public static final int BODY_LENGTH = 43;
    /** Characters of the checksum: 62^6 > 2^32, so every CRC32 fits. */
    public static final int CHECKSUM_LENGTH = 6;
    /** Every key has exactly this many characters. */
    public static final int LENGTH = PREFIX.length() + BODY_LENGTH + CHECKSUM_LENGTH;

    /**
     * Finds Rotakey API keys in text, for secret scanners. Uses only syntax that both Java and
     * RE2 (gitleaks, GitHub secret scanning custom patterns) accept: {@code \b} and a character class.
     */
    public static final String REGEX = "\\brk_[0-9A-Za-z]{" + (BODY_LENGTH + CHECKSUM_LENGTH) + "}\\b";

    private static final String ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private static final int[] DIGIT = new int[128];

    static {
        Arrays.fill(DIGIT, -1);
        for (int i = 0; i < ALPHABET.length(); i++) {
            DIGIT[ALPHABET.charAt(i)] = i;
        }
    }

    private ApiKeyFormat() {
    }

    /**
     * The key for {@code random} (exactly {@value #RANDOM_BYTES} bytes from the backend's RNG).
     * The caller still owns {@code random} and clears it.
     */
    public static String format(byte[] random) {
        Objects.requireNonNull(random, "random");
        if (random.length != RANDOM_BYTES) {
            throw new IllegalArgumentException("an API key needs " + RANDOM_BYTES + " random bytes, not " + random.length);
        }
        char[] key = new char[LENGTH];
        try {
            PREFIX.getChars(0, PREFIX.length(), key, 0);
            encodeBody(random, key, PREFIX.length());
            long crc = checksum(CharBuffer.wrap(key), PREFIX.length() + BODY_LENGTH);
            for (int i = LENGTH - 1; i >= LENGTH - CHECKSUM_LENGTH; i--) {
                key[i] = ALPHABET.charAt((int) (crc % 62));
                crc /= 62;
            }
            return new String(key);
        } finally {
            Arrays.fill(key, '\0');
        }
    }

    /** Whether {@code presented} is a well-formed key, and if not, why. Never echoes the key. */
    public static Result parse(CharSequence presented) {
        Objects.requireNonNull(presented, "presented");
        if (presented.length() < PREFIX.length() || !PREFIX.contentEquals(presented.subSequence(0, PREFIX.length()))) {
            return new Malformed(Problem.WRONG_PREFIX);
        }
        if (presented.length() != LENGTH) {
            return new Malformed(Problem.WRONG_LENGTH);
        }
        for (int i = PREFIX.length(); i < LENGTH; i++) {
            char c = presented.charAt(i);
            if (c >= DIGIT.length || DIGIT[c] < 0) {
                return new Malformed(Problem.BAD_CHARACTERS);
            }
        }
        long crc = checksum(presented, PREFIX.length() + BODY_LENGTH);
        long stated = 0;
        for (int i = LENGTH - CHECKSUM_LENGTH; i < LENGTH; i++) {
            stated = stated * 62 + DIGIT[presented.charAt(i)];
        }
        if (stated != crc) {
            return new Malformed(Problem.CHECKSUM_MISMATCH);
        }
        byte[] random = decodeBody(presented);
        if (random.length == 0) {
            return new Malformed(Problem.OUT_OF_RANGE);
        }
        return new Valid(random);
    }

    /** Base62 of {@code bytes} as a big-endian number, by repeated division; no BigInteger copies to leave behind. */
    private static void encodeBody(byte[] bytes, char[] out, int offset) {
        int[] number = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            number[i] = bytes[i] & 0xff;
        }
        for (int pos = offset + BODY_LENGTH - 1; pos >= offset; pos--) {
            int remainder = 0;
            for (int i = 0; i < number.length; i++) {
                int value = remainder * 256 + number[i];
                number[i] = value / 62;
                remainder = value % 62;
            }
            out[pos] = ALPHABET.charAt(remainder);
        }
        Arrays.fill(number, 0);
    }

    /** The 32 bytes behind the body, or an empty array when the body encodes more than 256 bits. */
    private static byte[] decodeBody(CharSequence key) {
        int[] number = new int[RANDOM_BYTES];
        try {
            for (int pos = PREFIX.length(); pos < PREFIX.length() + BODY_LENGTH; pos++) {
                int carry = DIGIT[key.charAt(pos)];
                for (int i = number.length - 1; i >= 0; i--) {
                    int value = number[i] * 62 + carry;
                    number[i] = value & 0xff;
                    carry = value >>> 8;
                }
                if (carry != 0) {
                    return new byte[0];
                }
            }
            byte[] bytes = new byte[RANDOM_BYTES];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = (byte) number[i];
            }
            return bytes;
        } finally {
            Arrays.fill(number, 0);
        }
    }

    /** CRC32 of the first {@code length} characters, all ASCII by the time this is called. */
    private static long checksum(CharSequence chars, int length) {
        CRC32 crc = new CRC32();
        for (int i = 0; i < length; i++) {
            crc.update(chars.charAt(i));
        }
        return crc.getValue();
    }

    /** What {@link #parse} found: a {@link Valid} key or a {@link Malformed} one. */
    public sealed interface Result permits Valid, Malformed {
        boolean valid();
    }

    /** A well-formed key; whether it was ever issued is for the database to say. */
    public static final class Valid implements Result {
        private final byte[] random;

        private Valid(byte[] random) {
            this.random = random;
        }

        @Override
        public boolean valid() {
            return true;
        }

        /** A copy of the key's random part; the caller clears it. */
        public byte[] random() {
            return random.clone();
        }

        @Override
        public String toString() {
            return "Valid[redacted]";
        }
    }

    /** A string that cannot be a Rotakey API key, and why. */
    public record Malformed(Problem problem) implements Result {
        @Override
        public boolean valid() {
            return false;
        }

        /** A sentence for the person who presented the key; it never contains the key. */
        public String message() {
            return problem.message;
        }
    }

    /** Why a presented string is not a well-formed key. */
    public enum Problem {
        WRONG_PREFIX("is not a Rotakey API key: it does not start with " + PREFIX),
        WRONG_LENGTH("has the wrong length: a Rotakey API key has exactly " + LENGTH + " characters (truncated, or surrounded by whitespace?)"),
        BAD_CHARACTERS("contains characters other than 0-9, A-Z and a-z after the prefix"),
        CHECKSUM_MISMATCH("fails its checksum: it was mistyped or altered"),
        OUT_OF_RANGE("passes its checksum but encodes more than 256 bits, so Rotakey never issued it");

        private final String message;

        Problem(String message) {
            this.message = message;
        }

        public String message() {
            return message;
        }
    }
}
