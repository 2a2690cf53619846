package dev.rotakey.targets.files;

import dev.rotakey.targets.InvalidBindingException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Whether this daemon may give files to the group or owner a binding names, found out once per access by doing it to
 * an empty file in the target's directory: a binding that cannot be delivered is refused when its credential is
 * created (422), with what the operator must change, instead of failing every rotation later.
 */
final class Handover {
    private final BaseDirectory tree;
    private final Set<FileAccess> proven = ConcurrentHashMap.newKeySet();

    Handover(BaseDirectory tree) {
        this.tree = tree;
    }

    /**
     * Refuses an access this daemon cannot give: a base directory others cannot pass through, an unknown group or
     * user, a group Rotakey's user is not in, an owner without the capability to chown.
     */
    void check(FileAccess access) {
        if (proven.contains(access)) {
            return;
        }
        Path probe = null;
        try {
            try {
                tree.requirePassThrough(tree.path());
            } catch (RuntimeException e) {
                throw new InvalidBindingException(access.group() != null ? FileAccess.GROUP : FileAccess.OWNER,
                        e.getMessage());
            }
            probe = BaseDirectory.writeTemporary(tree.path(), tree.path().resolve("access-check"), new byte[0]);
            try {
                access.apply(probe);
            } catch (IOException e) {
                throw refusal(access, e);
            }
            proven.add(access);
        } catch (IOException e) {
            throw new InvalidBindingException(access.group() != null ? FileAccess.GROUP : FileAccess.OWNER,
                    "cannot be checked: the target's directory is not writable (" + e.getMessage() + ")");
        } finally {
            if (probe != null) {
                try {
                    Files.deleteIfExists(probe);
                } catch (IOException ignored) {
                    // A leftover empty temporary is removed by the next sweep of the directory.
                }
            }
        }
    }

    private static InvalidBindingException refusal(FileAccess access, IOException e) {
        String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (reason.startsWith("no group")) {
            return new InvalidBindingException(FileAccess.GROUP, "'" + access.group() + "' is not a group on this host");
        }
        if (reason.startsWith("no user")) {
            return new InvalidBindingException(FileAccess.OWNER, "'" + access.owner() + "' is not a user on this host");
        }
        if (access.owner() != null) {
            return new InvalidBindingException(FileAccess.OWNER, "'" + access.owner() + "': Rotakey may not give files "
                    + "to another user here (that needs CAP_CHOWN); use 'group' with a group Rotakey's user is in");
        }
        return new InvalidBindingException(FileAccess.GROUP, "'" + access.group() + "': Rotakey's user is not in this "
                + "group, so it may not give files to it; add it (SupplementaryGroups=" + access.group()
                + " in the systemd unit, or usermod -aG " + access.group() + " rotakey)");
    }
}
