package dev.rotakey.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.validation.selfvalidating.SelfValidating;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Where a secret (an HSM PIN, a password, a token) comes from: exactly one of an environment
 * variable ({@code env}), a file ({@code file}), or a systemd credential ({@code credential},
 * read from {@code $CREDENTIALS_DIRECTORY}). Never a literal in the config. One trailing newline
 * of a file is ignored.
 */
@SelfValidating
public class SecretSource {
    private String env;
    private String file;
    private String credential;

    public SecretSource() {
    }

    /**
     * A bare string where a source belongs is most likely the secret itself: refused without being
     * repeated (Jackson's own error would quote it into the start-up message and the log).
     */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static SecretSource literal(String value) {
        throw new IllegalArgumentException("must be {env: …}, {file: …} or {credential: …}, never the secret itself");
    }

    public static SecretSource fromFile(String path) {
        SecretSource s = new SecretSource();
        s.file = path;
        return s;
    }

    public static SecretSource fromEnv(String variable) {
        SecretSource s = new SecretSource();
        s.env = variable;
        return s;
    }

    @JsonProperty
    public String getEnv() {
        return env;
    }

    @JsonProperty
    public void setEnv(String env) {
        this.env = env;
    }

    @JsonProperty
    public String getFile() {
        return file;
    }

    @JsonProperty
    public void setFile(String file) {
        this.file = file;
    }

    @JsonProperty
    public String getCredential() {
        return credential;
    }

    @JsonProperty
    public void setCredential(String credential) {
        this.credential = credential;
    }

    /**
     * A class-level check rather than a {@code @ValidationMethod}: Dropwizard prints a
     * {@code @ValidationMethod}'s message without its path, so the operator could not tell which
     * secret is wrong; this one is reported as e.g. {@code keyBackends[hsm].pin must name …}.
     */
    @SelfValidation
    public void validateExactlyOneSource(ViolationCollector violations) {
        int n = (blank(env) ? 0 : 1) + (blank(file) ? 0 : 1) + (blank(credential) ? 0 : 1);
        if (n != 1) {
            violations.addViolation("must name exactly one of 'env', 'file' or 'credential'");
        }
    }

    /**
     * Reads the secret now. The caller owns the returned array and clears it after use.
     *
     * @param key the config key that holds this source, named in error messages
     * @throws SecretUnavailableException when the variable is unset or the file unreadable or empty
     */
    public char[] read(String key) {
        return read(key, System.getenv());
    }

    /**
     * Reads the secret as a string, for a header or a body field that needs one, and clears the read
     * buffer; see {@link #read(String)}.
     */
    public String readString(String key) {
        char[] chars = read(key);
        try {
            return new String(chars);
        } finally {
            Arrays.fill(chars, '\0');
        }
    }

    char[] read(String key, Map<String, String> environment) {
        if (!blank(env)) {
            String v = environment.get(env);
            if (v == null || v.isEmpty()) {
                throw new SecretUnavailableException(key + ": environment variable " + env + " is not set or empty");
            }
            return v.toCharArray();
        }
        Path path;
        if (!blank(credential)) {
            String dir = environment.get("CREDENTIALS_DIRECTORY");
            if (dir == null || dir.isEmpty()) {
                throw new SecretUnavailableException(key + ": systemd credential '" + credential
                        + "' asked for but CREDENTIALS_DIRECTORY is not set (LoadCredential= missing?)");
            }
            path = Path.of(dir, credential);
        } else if (!blank(file)) {
            path = Path.of(file);
        } else {
            throw new SecretUnavailableException(key + ": no secret source configured");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new SecretUnavailableException(key + ": cannot read secret file " + path + " ("
                    + e.getClass().getSimpleName() + ")");
        }
        try {
            int len = bytes.length;
            if (len > 0 && bytes[len - 1] == '\n') {
                len--;
            }
            if (len > 0 && bytes[len - 1] == '\r') {
                len--;
            }
            if (len == 0) {
                throw new SecretUnavailableException(key + ": secret file " + path + " is empty");
            }
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes, 0, len));
            char[] out = new char[chars.remaining()];
            chars.get(out);
            Arrays.fill(chars.array(), '\0');
            return out;
        } catch (CharacterCodingException e) {
            throw new SecretUnavailableException(key + ": secret file " + path + " is not UTF-8");
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    @Override
    public String toString() {
        if (!blank(env)) {
            return "SecretSource{env=" + env + "}";
        }
        if (!blank(credential)) {
            return "SecretSource{credential=" + credential + "}";
        }
        return "SecretSource{file=" + file + "}";
    }
}
