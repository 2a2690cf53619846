package dev.rotakey.targets.postgres;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PostgreSQL SCRAM-SHA-256 password verifier ({@code SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>},
 * as {@code pg_authid.rolpassword} holds it), computed on Rotakey's side so that the plaintext never
 * reaches the server, and checked against a password without logging in.
 */
record ScramVerifier(int iterations, byte[] salt, byte[] storedKey, byte[] serverKey) {
    static final int ITERATIONS = 4096;
    static final int SALT_BYTES = 16;
    private static final Pattern FORMAT = Pattern.compile(
            "SCRAM-SHA-256\\$([0-9]{1,9}):([A-Za-z0-9+/=]+)\\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)");

    /** The verifier PostgreSQL would store for {@code password} under {@code salt}. */
    static ScramVerifier of(char[] password, byte[] salt, int iterations) {
        byte[] salted = saltedPassword(password, salt, iterations);
        try {
            byte[] clientKey = hmac(salted, "Client Key".getBytes(StandardCharsets.US_ASCII));
            byte[] storedKey = MessageDigest.getInstance("SHA-256").digest(clientKey);
            byte[] serverKey = hmac(salted, "Server Key".getBytes(StandardCharsets.US_ASCII));
            Arrays.fill(clientKey, (byte) 0);
            return new ScramVerifier(iterations, salt.clone(), storedKey, serverKey);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        } finally {
            Arrays.fill(salted, (byte) 0);
        }
    }

    /** Parses a stored verifier; null when it is absent or not SCRAM-SHA-256 (an MD5 hash, say). */
    static ScramVerifier parse(String stored) {
        if (stored == null) {
            return null;
        }
        Matcher m = FORMAT.matcher(stored);
        if (!m.matches()) {
            return null;
        }
        try {
            Base64.Decoder b64 = Base64.getDecoder();
            return new ScramVerifier(Integer.parseInt(m.group(1)), b64.decode(m.group(2)), b64.decode(m.group(3)),
                    b64.decode(m.group(4)));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Whether {@code password} is the one this verifier was computed from (compared in constant time). */
    boolean accepts(char[] password) {
        ScramVerifier candidate = of(password, salt, iterations);
        return MessageDigest.isEqual(candidate.storedKey, storedKey) && MessageDigest.isEqual(candidate.serverKey, serverKey);
    }

    /** The salt in base64, as the verifier text carries it: not secret, and says which password set it. */
    String saltText() {
        return Base64.getEncoder().encodeToString(salt);
    }

    /** The text form; every character is base64, a digit, {@code $} or {@code :}, so it is safe inside a literal. */
    String text() {
        Base64.Encoder b64 = Base64.getEncoder();
        return "SCRAM-SHA-256$" + iterations + ":" + b64.encodeToString(salt) + "$" + b64.encodeToString(storedKey)
                + ":" + b64.encodeToString(serverKey);
    }

    /**
     * PBKDF2-HMAC-SHA-256 with one output block (32 bytes), written out so that the password goes from
     * its char array straight to bytes. Only ASCII passwords reach here: SASLprep leaves those unchanged.
     */
    private static byte[] saltedPassword(char[] password, byte[] salt, int iterations) {
        byte[] key = new byte[password.length];
        for (int i = 0; i < password.length; i++) {
            key[i] = (byte) password[i];
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.length == 0 ? new byte[1] : key, "HmacSHA256"));
            mac.update(salt);
            byte[] u = mac.doFinal(new byte[] {0, 0, 0, 1});
            byte[] out = u.clone();
            for (int i = 1; i < iterations; i++) {
                u = mac.doFinal(u);
                for (int j = 0; j < out.length; j++) {
                    out[j] ^= u[j];
                }
            }
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every Java runtime has HmacSHA256", e);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    private static byte[] hmac(byte[] key, byte[] data) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(data);
    }

    @Override
    public String toString() {
        return "ScramVerifier{iterations=" + iterations + ", salt=" + saltText() + "}";
    }
}
