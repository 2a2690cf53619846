package dev.rotakey.targets.redis;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The tests' own view of the machine's real Redis (127.0.0.1:6379, {@code default} user without a
 * password): logs in as agents would, and creates and deletes the throw-away ACL users of a test.
 */
public final class RedisProbe implements AutoCloseable {
    public static final String HOST = "127.0.0.1";
    public static final int PORT = 6379;
    private final List<String> users = new ArrayList<>();

    /** A fresh user name ({@code rk-test-<8 hex>}), deleted again by {@link #close()}. */
    public String newUser() {
        String user = "rk-test-" + UUID.randomUUID().toString().substring(0, 8);
        users.add(user);
        return user;
    }

    /** Whether a fresh connection can log in as {@code user} with {@code password} (AUTH answers OK). */
    public static boolean authenticates(String user, String password) {
        try (RespConnection c = RespConnection.open(HOST, PORT, 2000, 5000)) {
            return "OK".equals(RespConnection.text(c.call("AUTH", user, password)));
        } catch (RespConnection.ErrorReply e) {
            if (e.code().equals("WRONGPASS")) {
                return false;
            }
            throw new IllegalStateException("unexpected reply " + e.code(), e);
        } catch (IOException e) {
            throw new IllegalStateException("Redis at " + HOST + ":" + PORT + " is not reachable", e);
        }
    }

    /** Sends one command as the {@code default} user. */
    public static Object call(String... args) {
        try (RespConnection c = RespConnection.open(HOST, PORT, 2000, 5000)) {
            return c.call(args);
        } catch (IOException | RespConnection.ErrorReply e) {
            throw new IllegalStateException("Redis command " + args[0] + " failed: " + e.getMessage(), e);
        }
    }

    /** Sends one command as {@code user}; the error code of a refusal, or null when it succeeded. */
    public static String callAs(String user, String password, String... args) {
        try (RespConnection c = RespConnection.open(HOST, PORT, 2000, 5000)) {
            c.call("AUTH", user, password);
            c.call(args);
            return null;
        } catch (RespConnection.ErrorReply e) {
            return e.code();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The number of passwords {@code user} holds, or -1 when the user does not exist. */
    public static int passwordCount(String user) {
        Object reply = call("ACL", "GETUSER", user);
        if (!(reply instanceof List<?> fields)) {
            return -1;
        }
        for (int i = 0; i + 1 < fields.size(); i += 2) {
            if ("passwords".equals(RespConnection.text(fields.get(i)))) {
                return ((List<?>) fields.get(i + 1)).size();
            }
        }
        return -1;
    }

    /** A loopback port nothing listens on: a Redis that is down. */
    public static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    public static RedisAclTargetFactory factory(int port) {
        RedisAclTargetFactory f = new RedisAclTargetFactory();
        f.setHost(HOST);
        f.setPort(port);
        f.setConnectTimeout(io.dropwizard.util.Duration.seconds(1));
        f.setCommandTimeout(io.dropwizard.util.Duration.seconds(2));
        return f;
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        for (String user : users) {
            call("ACL", "DELUSER", user);
        }
    }
}
