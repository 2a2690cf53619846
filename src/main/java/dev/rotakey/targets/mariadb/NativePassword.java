package dev.rotakey.targets.mariadb;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * MariaDB's {@code mysql_native_password} hash, {@code '*'} and the upper-case hex of SHA1(SHA1(password)), as
 * {@code PASSWORD()} computes it and {@code mysql.global_priv} stores it. Rotakey sends this rather than the plaintext
 * ({@code IDENTIFIED BY PASSWORD '*…'}), so that the password never reaches the server's logs.
 */
final class NativePassword {
    /** What {@link #of} returns: 41 characters, none of which needs quoting. */
    static final Pattern FORMAT = Pattern.compile("\\*[0-9A-F]{40}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private NativePassword() {
    }

    /** The hash of a password given as its UTF-8 bytes (what MariaDB's clients send); the caller zeroes them. */
    static String of(byte[] utf8) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            byte[] once = sha1.digest(utf8);
            byte[] twice = sha1.digest(once);
            Arrays.fill(once, (byte) 0);
            return "*" + HexFormat.of().withUpperCase().formatHex(twice);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-1", e);
        }
    }

    /**
     * A well-formed hash of no password anyone knows: what a locked account is left with, so that unlocking it by hand
     * does not bring back the password it had.
     */
    static String unknown() {
        byte[] random = new byte[20];
        RANDOM.nextBytes(random);
        return "*" + HexFormat.of().withUpperCase().formatHex(random);
    }

    /** Whether {@code text} is a native password hash (not another plugin's string, not empty). */
    static boolean isHash(String text) {
        return text != null && FORMAT.matcher(text).matches();
    }
}
