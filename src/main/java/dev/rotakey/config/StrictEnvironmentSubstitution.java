package dev.rotakey.config;

import dev.rotakey.StartupException;
import io.dropwizard.configuration.ConfigurationSourceProvider;
import org.apache.commons.text.StringSubstitutor;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.UnaryOperator;

/**
 * Replaces {@code ${VAR}} and {@code ${VAR:-default}} in the configuration file from the environment, and refuses
 * an unset variable that has no default, naming it and the file: a literal {@code ${VAR}} reaching a password or a
 * URL would fail later, far from its cause. {@code $${VAR}} stays a literal {@code ${VAR}}, as in Dropwizard.
 */
public final class StrictEnvironmentSubstitution implements ConfigurationSourceProvider {
    private final ConfigurationSourceProvider delegate;
    private final UnaryOperator<String> environment;

    public StrictEnvironmentSubstitution(ConfigurationSourceProvider delegate) {
        this(delegate, System::getenv);
    }

    /** With {@code environment} answering a variable's value, or null when unset (tests). */
    public StrictEnvironmentSubstitution(ConfigurationSourceProvider delegate, UnaryOperator<String> environment) {
        this.delegate = delegate;
        this.environment = environment;
    }

    @Override
    public InputStream open(String path) throws IOException {
        String text;
        try (InputStream in = delegate.open(path)) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        return new ByteArrayInputStream(substitute(path, text).getBytes(StandardCharsets.UTF_8));
    }

    /** {@code text} with every variable replaced; a {@link StartupException} naming the first unset one without a default. */
    public String substitute(String path, String text) {
        // The last variable looked up in vain is the one the substitutor refuses: one with a default never throws.
        String[] unset = new String[1];
        StringSubstitutor substitutor = new StringSubstitutor(name -> {
            String value = environment.apply(name);
            if (value == null) {
                unset[0] = name;
            }
            return value;
        });
        substitutor.setEnableUndefinedVariableException(true);
        try {
            return substitutor.replace(text);
        } catch (IllegalArgumentException e) {
            if (unset[0] == null) {
                throw e;
            }
            String name = unset[0];
            throw new StartupException(path + lineOf(text, "${" + name) + ": environment variable " + name
                    + " is not set and ${" + name + "} has no default (set it, or write ${" + name + ":-default})");
        }
    }

    private static String lineOf(String text, String needle) {
        int at = text.indexOf(needle);
        return at < 0 ? "" : " line " + (text.substring(0, at).chars().filter(c -> c == '\n').count() + 1);
    }
}
