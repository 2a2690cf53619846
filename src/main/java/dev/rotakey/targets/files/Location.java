package dev.rotakey.targets.files;

import dev.rotakey.targets.InvalidBindingException;
import dev.rotakey.targets.TargetBinding;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/** A local-files binding's relative path, checked to be normalised and to stay below the base directory. */
record Location(String relative, List<String> parents, String fileName) {
    static final String PATH = "path";
    static final String LOGIN_PATH = "loginPath";
    /** The target's hook a binding runs after its delivery, before verify. */
    static final String ON_DELIVER = "onDeliver";
    /** The target's hook a binding runs after its version is promoted. */
    static final String ON_PROMOTE = "onPromote";
    /** Every parameter a local-files binding takes (checked here, as every binding is parsed through {@link #of}). */
    private static final Set<String> PARAMETERS = Set.of(PATH, LOGIN_PATH, FileAccess.MODE, FileAccess.GROUP,
            FileAccess.OWNER, SecretFormat.FORMAT, SecretFormat.ENV_PREFIX, CertificateFormat.PKCS12_PASSWORD,
            ON_DELIVER, ON_PROMOTE);

    static Location of(TargetBinding binding) {
        binding.refuseUnknownParams(LocalFilesTarget.TYPE, PARAMETERS);
        Location secret = parse(PATH, binding.requireParam(PATH));
        String login = binding.param(LOGIN_PATH);
        if (login != null && parse(LOGIN_PATH, login).relative().equals(secret.relative())) {
            throw new InvalidBindingException(LOGIN_PATH, "must name another file than 'path'");
        }
        return secret;
    }

    /** The binding's login file ({@code loginPath}), if it asks for one. */
    static Optional<Location> login(TargetBinding binding) {
        String login = binding.param(LOGIN_PATH);
        return login == null ? Optional.empty() : Optional.of(parse(LOGIN_PATH, login));
    }

    static Location parse(String parameter, String path) {
        if (path.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new InvalidBindingException(parameter, "must not contain control characters");
        }
        if (path.startsWith("/")) {
            throw new InvalidBindingException(parameter, "'" + path + "' must be relative to the target's directory, not absolute");
        }
        List<String> segments = List.of(path.split("/", -1));
        for (String segment : segments) {
            if (segment.isEmpty()) {
                throw new InvalidBindingException(parameter, "'" + path + "' must not contain empty segments (a trailing or doubled '/')");
            }
            if (segment.equals(".") || segment.equals("..")) {
                throw new InvalidBindingException(parameter, "'" + path + "' must be normalised, without '.' or '..' segments");
            }
        }
        String fileName = segments.get(segments.size() - 1);
        if (fileName.endsWith(BaseDirectory.BACKUP_SUFFIX) || fileName.contains(BaseDirectory.TEMP_MARK)) {
            throw new InvalidBindingException(parameter, "'" + path + "' collides with the names of Rotakey's own backup and temporary files");
        }
        return new Location(path, segments.subList(0, segments.size() - 1), fileName);
    }

    /** All segments: a certificate's path names the directory its files go to. */
    List<String> segments() {
        return Stream.concat(parents.stream(), Stream.of(fileName)).toList();
    }

    String backupName() {
        return "." + fileName + BaseDirectory.BACKUP_SUFFIX;
    }
}
