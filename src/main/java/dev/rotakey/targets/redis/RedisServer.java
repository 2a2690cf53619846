package dev.rotakey.targets.redis;

import dev.rotakey.targets.TargetException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The Redis server a redis-acl target changes: opens connections (logged in as the administrative user where one is
 * configured), saves the ACL file as configured, and turns I/O failures and error replies into {@link TargetException}s
 * that say whether a retry may pass and never echo a command that carries a password.
 */
final class RedisServer implements AutoCloseable {
    private final String target;
    private final String host;
    private final int port;
    private final String username;
    private final char[] password;
    private final int connectTimeoutMillis;
    private final int commandTimeoutMillis;
    private final RedisAclTarget.SaveAclFile save;

    /** One exchange with Redis, I/O failures retryable, error replies mapped by their code. */
    @FunctionalInterface
    interface Exchange<T> {
        T run() throws IOException, RespConnection.ErrorReply;
    }

    /** @param password owned by this object from now on, or null */
    RedisServer(String target, String host, int port, String username, char[] password, int connectTimeoutMillis,
                int commandTimeoutMillis, RedisAclTarget.SaveAclFile save) {
        this.target = target;
        this.host = host;
        this.port = port;
        this.username = username;
        this.password = password;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.commandTimeoutMillis = commandTimeoutMillis;
        this.save = save;
    }

    /** Saves the ACLs to the server's ACL file, as {@code saveAclFile} says. */
    void saveAcls(RespConnection c, String action) {
        if (save == RedisAclTarget.SaveAclFile.NEVER) {
            return;
        }
        run(action + " (saving the ACL file)", true, () -> {
            if (save == RedisAclTarget.SaveAclFile.AUTO) {
                Object reply = c.call("CONFIG", "GET", "aclfile");
                String file = reply instanceof List<?> l && l.size() >= 2 ? RespConnection.text(l.get(1)) : null;
                if (file == null || file.isBlank()) {
                    return null;
                }
            }
            return c.call("ACL", "SAVE");
        });
    }

    /** A connection logged in as the administrative user (if one is configured). */
    RespConnection admin(String action) {
        RespConnection c = connect(action);
        if (password == null) {
            return c;
        }
        byte[] secret = utf8(password);
        try {
            if (username == null) {
                c.call(bytes("AUTH"), secret);
            } else {
                c.call(bytes("AUTH"), bytes(username), secret);
            }
            return c;
        } catch (IOException e) {
            c.close();
            throw unreachable(action, e);
        } catch (RespConnection.ErrorReply e) {
            c.close();
            throw new TargetException("target '" + target + "': cannot " + action + ": Redis refused the admin login"
                    + (username == null ? "" : " of user '" + username + "'") + " (" + e.code() + ")", false);
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
    }

    RespConnection connect(String action) {
        try {
            return RespConnection.open(host, port, connectTimeoutMillis, commandTimeoutMillis);
        } catch (IOException e) {
            throw unreachable(action, e);
        }
    }

    private TargetException unreachable(String action, IOException e) {
        return new TargetException("target '" + target + "': cannot " + action + ": Redis at " + host + ":" + port
                + " is unreachable (" + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage())
                + ")", true, e);
    }

    /**
     * @param echoSafe whether the server's error text may be shown: never for commands that carry a
     *                 password, since Redis quotes the offending argument in some messages
     */
    <T> T run(String action, boolean echoSafe, Exchange<T> exchange) {
        try {
            return exchange.run();
        } catch (IOException e) {
            throw unreachable(action, e);
        } catch (RespConnection.ErrorReply e) {
            String code = e.code();
            boolean retryable = code.equals("LOADING") || code.equals("BUSY") || code.equals("TRYAGAIN")
                    || code.equals("MASTERDOWN");
            String detail = echoSafe ? e.getMessage() : code;
            String hint = switch (code) {
                case "WRONGPASS" -> ": the password was refused";
                case "NOPERM", "NOAUTH" -> ": the admin connection lacks the permission (it needs +acl, +config|get and, "
                        + "with saveAclFile, +acl|save)";
                default -> "";
            };
            throw new TargetException("target '" + target + "': cannot " + action + " (" + detail + ")" + hint, retryable);
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

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        if (password != null) {
            Arrays.fill(password, '\0');
        }
    }

    @Override
    public String toString() {
        return "address=" + host + ":" + port + (username == null ? "" : ", username=" + username) + ", password="
                + (password == null ? "none" : "[redacted]") + ", saveAclFile=" + save.name().toLowerCase(Locale.ROOT);
    }
}
