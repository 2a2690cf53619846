package dev.rotakey.targets.files;

import dev.rotakey.targets.InvalidBindingException;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.files.BaseDirectory.Stored;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.EnumSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Who may read a local-files binding's files: their mode ({@code mode}, 0600 by default), the group that shares them
 * ({@code group}: the agent's own, which Rotakey's user belongs to) and, where the daemon may chown, their
 * {@code owner}. Only modes that keep a secret secret are accepted: nothing for others, nothing writable or executable
 * but by the owner, and a group's read access only with a named group.
 */
record FileAccess(Set<PosixFilePermission> mode, String group, String owner) {
    static final String MODE = "mode";
    static final String GROUP = "group";
    static final String OWNER = "owner";
    static final FileAccess PRIVATE = new FileAccess(BaseDirectory.FILE_MODE, null, null);

    /** POSIX portable user and group names (as useradd takes them). */
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,31}");
    private static final Pattern OCTAL = Pattern.compile("0?[0-7]{3}");
    private static final Set<PosixFilePermission> ALLOWED = EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE, PosixFilePermission.GROUP_READ);
    /** Directories a shared binding creates: anyone may pass through, only Rotakey may list or change them. */
    static final Set<PosixFilePermission> PASS_THROUGH = PosixFilePermissions.fromString("rwx--x--x");

    /** The access a binding asks for, checked; {@link #PRIVATE} when it asks for none. */
    static FileAccess of(TargetBinding binding) {
        String group = name(binding, GROUP);
        String owner = name(binding, OWNER);
        String text = binding.param(MODE);
        Set<PosixFilePermission> mode;
        if (text == null) {
            mode = group == null ? BaseDirectory.FILE_MODE : PosixFilePermissions.fromString("rw-r-----");
        } else {
            mode = parseMode(text);
        }
        if (mode.contains(PosixFilePermission.GROUP_READ) && group == null) {
            throw new InvalidBindingException(MODE, "'" + text + "' lets a group read the secret: name the group with '"
                    + GROUP + "' (otherwise it would be Rotakey's own group)");
        }
        if (!mode.contains(PosixFilePermission.OWNER_READ)) {
            throw new InvalidBindingException(MODE, "'" + text + "' must let the owner read the file (0400, 0440, 0600 or 0640)");
        }
        if (group != null && !mode.contains(PosixFilePermission.GROUP_READ) && owner == null) {
            throw new InvalidBindingException(MODE, "'" + text + "' gives the group '" + group + "' nothing: use 0640 or 0440");
        }
        return new FileAccess(Set.copyOf(mode), group, owner);
    }

    private static Set<PosixFilePermission> parseMode(String text) {
        if (!OCTAL.matcher(text).matches()) {
            throw new InvalidBindingException(MODE, "'" + text + "' must be an octal file mode such as 0600 or 0640");
        }
        int bits = Integer.parseInt(text, 8);
        Set<PosixFilePermission> mode = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
                PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.OWNER_READ};
        for (int i = 0; i < order.length; i++) {
            if ((bits & (1 << i)) != 0) {
                mode.add(order[i]);
            }
        }
        if ((bits & 07) != 0) {
            throw new InvalidBindingException(MODE, "'" + text + "' would let every user of the host "
                    + ((bits & 04) != 0 ? "read" : "touch") + " the secret; others get nothing (0600 or 0640)");
        }
        if (!ALLOWED.containsAll(mode)) {
            throw new InvalidBindingException(MODE, "'" + text + "' is refused: a secret file is never executable, and "
                    + "only its owner may write it (0400, 0440, 0600 or 0640)");
        }
        return mode;
    }

    private static String name(TargetBinding binding, String parameter) {
        String name = binding.param(parameter);
        if (name == null) {
            return null;
        }
        if (!NAME.matcher(name).matches()) {
            throw new InvalidBindingException(parameter, "must be a user or group name (letters, digits, '_', '.', '-', "
                    + "at most 32, not starting with a digit)");
        }
        if (parameter.equals(GROUP) ? name.equals("root") : false) {
            throw new InvalidBindingException(parameter, "must be the agent's own group, not root");
        }
        return name;
    }

    /** Whether the files are meant for someone besides Rotakey's own user. */
    boolean shared() {
        return group != null || owner != null;
    }

    /**
     * The mode of a directory a binding owns alone (a certificate's): the group may list and enter it when it may
     * read the files, anyone may pass through when only an owner is named.
     */
    Set<PosixFilePermission> directoryMode() {
        if (group != null) {
            return PosixFilePermissions.fromString("rwxr-x---");
        }
        return owner != null ? PASS_THROUGH : BaseDirectory.DIRECTORY_MODE;
    }

    /** Gives {@code file} (created private by Rotakey) this access: owner and group first, then the mode. */
    void apply(Path file) throws IOException {
        if (!shared() && mode.equals(BaseDirectory.FILE_MODE)) {
            return;
        }
        PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        UserPrincipalLookupService lookup = FileSystems.getDefault().getUserPrincipalLookupService();
        if (group != null) {
            view.setGroup(groupPrincipal(lookup));
        }
        if (owner != null) {
            view.setOwner(ownerPrincipal(lookup));
        }
        view.setPermissions(mode);
    }

    /** Gives a directory a binding created for itself its access (group and mode; never its owner: Rotakey writes in it). */
    void applyToDirectory(Path dir) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(dir, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        if (group != null) {
            view.setGroup(groupPrincipal(FileSystems.getDefault().getUserPrincipalLookupService()));
        }
        view.setPermissions(directoryMode());
    }

    private GroupPrincipal groupPrincipal(UserPrincipalLookupService lookup) throws IOException {
        try {
            return lookup.lookupPrincipalByGroupName(group);
        } catch (UserPrincipalNotFoundException e) {
            throw new IOException("no group '" + group + "' on this host", e);
        }
    }

    private UserPrincipal ownerPrincipal(UserPrincipalLookupService lookup) throws IOException {
        try {
            return lookup.lookupPrincipalByName(owner);
        } catch (UserPrincipalNotFoundException e) {
            throw new IOException("no user '" + owner + "' on this host", e);
        }
    }

    /** Whether a file read back has this access (its group and owner only where they were asked for). */
    boolean holds(Stored stored) {
        return stored.mode().equals(mode) && (group == null || group.equals(stored.group()))
                && (owner == null || owner.equals(stored.owner()));
    }

    /** What a file read back has, for a verification's message. */
    static String describe(Stored stored) {
        return "mode " + PosixFilePermissions.toString(stored.mode()) + ", owner " + stored.owner() + ", group " + stored.group();
    }

    @Override
    public String toString() {
        return "mode " + PosixFilePermissions.toString(mode) + (owner == null ? "" : ", owner " + owner)
                + (group == null ? "" : ", group " + group);
    }
}
