package dev.rotakey.targets.redis;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * How Rotakey authenticates to a Redis server or a Sentinel: {@code AUTH <username> <password>}, {@code AUTH <password>}
 * (no username), or not at all (no password). Owns the password array and clears it on {@link #close()}; never shows it.
 */
final class RedisLogin implements AutoCloseable {
    static final RedisLogin NONE = new RedisLogin(null, null);

    private final String username;
    private final char[] password;

    /**
     * @param username null for {@code AUTH <password>}
     * @param password owned by this object from now on; null for no AUTH at all
     */
    RedisLogin(String username, char[] password) {
        this.username = username == null || username.isBlank() ? null : username;
        this.password = password;
    }

    String username() {
        return username;
    }

    /** Sends AUTH on {@code c} when there is a password; the password's bytes are cleared afterwards. */
    void authenticate(RespConnection c) throws IOException, RespConnection.ErrorReply {
        if (password == null) {
            return;
        }
        byte[] secret = utf8(password);
        try {
            if (username == null) {
                c.call(RedisServer.bytes("AUTH"), secret);
            } else {
                c.call(RedisServer.bytes("AUTH"), RedisServer.bytes(username), secret);
            }
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
    }

    private static byte[] utf8(char[] chars) {
        ByteBuffer buffer = StandardCharsets.UTF_8.encode(CharBuffer.wrap(chars));
        byte[] out = new byte[buffer.remaining()];
        buffer.get(out);
        if (buffer.hasArray()) {
            Arrays.fill(buffer.array(), (byte) 0);
        }
        return out;
    }

    @Override
    public void close() {
        if (password != null) {
            Arrays.fill(password, '\0');
        }
    }

    @Override
    public String toString() {
        return (username == null ? "" : "username=" + username + ", ") + "password=" + (password == null ? "none" : "[redacted]");
    }
}
