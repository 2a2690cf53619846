package dev.rotakey.targets.mariadb;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A mariadb-user target's reference to one version ({@code <login user>:<8 hex digits>}): which account the version
 * went to, and a 32-bit digest of the native hash it set there, by which revocation recognises the version in
 * {@code mysql.global_priv} without the plaintext.
 *
 * <p>Why a truncated digest of the hash: MariaDB's native hash has no salt, so nothing short of a function of the
 * password can tell one version's hash from another's, and the full hash (unsalted double SHA-1) would let whoever
 * reads Rotakey's database test guesses offline at great speed. 32 bits cannot confirm a guess: even the smallest
 * password space Rotakey allows (16 characters from 10) leaves about 2^21 candidates per digest. The digest is of the
 * hash, not the password, because revocation only has the stored hash to compare with; and it is keyed by the account,
 * so that one password on two accounts does not show as one reference. Whoever can read {@code mysql.global_priv}
 * has the full hash anyway and learns nothing more from the reference. Two different hashes share a digest with odds
 * of 1 in 2^32; that would make a late revocation lock the account holding a newer version, a risk of the same order
 * as the redis-acl target's.
 */
record AccountReference(String user, String digest) {
    static final int DIGEST_HEX_CHARS = 8;
    private static final Pattern DIGEST = Pattern.compile("[0-9a-f]{" + DIGEST_HEX_CHARS + "}");

    /** The reference of the native {@code hash} set on account {@code 'user'@'host'}. */
    static AccountReference of(String user, String host, String hash) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(("rotakey mariadb-user reference\0" + user + "\0" + host
                    + "\0" + hash).getBytes(StandardCharsets.UTF_8));
            return new AccountReference(user, HexFormat.of().formatHex(d).substring(0, DIGEST_HEX_CHARS));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** Reads a recorded reference; empty when it is not one of this target's (the digest after the last colon). */
    static Optional<AccountReference> parse(String text) {
        int colon = text == null ? -1 : text.lastIndexOf(':');
        if (colon <= 0 || !DIGEST.matcher(text.substring(colon + 1)).matches()) {
            return Optional.empty();
        }
        return Optional.of(new AccountReference(text.substring(0, colon), text.substring(colon + 1)));
    }

    /** The text Rotakey records. */
    String text() {
        return user + ":" + digest;
    }
}
