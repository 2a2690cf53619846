package dev.rotakey.targets.redis;

import dev.rotakey.targets.TargetException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One Redis server (or Sentinel) a redis-acl target talks to: opens connections to it (logged in as the
 * administrative user where one is configured), saves its ACL file as configured, and turns I/O failures and error
 * replies into {@link TargetException}s that name the server, say whether a retry may pass and never echo a command
 * that carries a password.
 */
final class RedisServer {
    static final String REDIS = "Redis";
    static final String SENTINEL = "Sentinel";

    private final RedisConnector connector;
    private final RedisAddress address;
    private final RedisLogin login;
    private final RedisAclTarget.SaveAclFile save;
    private final String role;

    /** One exchange with the server, I/O failures classified by the connector, error replies mapped by their code. */
    @FunctionalInterface
    interface Exchange<T> {
        T run() throws IOException, RespConnection.ErrorReply;
    }

    /** @param role {@link #REDIS} or {@link #SENTINEL}, for messages */
    RedisServer(RedisConnector connector, RedisAddress address, RedisLogin login, RedisAclTarget.SaveAclFile save,
                String role) {
        this.connector = connector;
        this.address = address;
        this.login = login;
        this.save = save;
        this.role = role;
    }

    RedisAddress address() {
        return address;
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
        try {
            login.authenticate(c);
            return c;
        } catch (IOException e) {
            c.close();
            throw connector.failure(address, role, action, e);
        } catch (RespConnection.ErrorReply e) {
            c.close();
            throw new TargetException("target '" + connector.target() + "': cannot " + action + ": " + role + " at "
                    + address + " refused the admin login" + (login.username() == null ? "" : " of user '"
                    + login.username() + "'") + " (" + e.code() + ")", false);
        }
    }

    /** A connection that has not logged in. */
    RespConnection connect(String action) {
        return connector.open(address, role, action);
    }

    /**
     * @param echoSafe whether the server's error text may be shown: never for commands that carry a
     *                 password, since Redis quotes the offending argument in some messages
     */
    <T> T run(String action, boolean echoSafe, Exchange<T> exchange) {
        try {
            return exchange.run();
        } catch (IOException e) {
            throw connector.failure(address, role, action, e);
        } catch (RespConnection.ErrorReply e) {
            String code = e.code();
            boolean retryable = code.equals("LOADING") || code.equals("BUSY") || code.equals("TRYAGAIN")
                    || code.equals("MASTERDOWN");
            String detail = echoSafe ? e.getMessage() : code;
            String hint = switch (code) {
                case "WRONGPASS" -> ": the password was refused";
                case "NOPERM", "NOAUTH" -> role.equals(SENTINEL) ? ": the Sentinel login lacks the permission"
                        : ": the admin connection lacks the permission (it needs +acl, +config|get and, with "
                        + "saveAclFile, +acl|save)";
                default -> "";
            };
            throw new TargetException("target '" + connector.target() + "': cannot " + action + " on " + role + " at "
                    + address + " (" + detail + ")" + hint, retryable);
        }
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return role + " at " + address;
    }
}
