package dev.rotakey.backend.pkcs11;

import dev.rotakey.backend.BackendConnection.Failure;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.AuthProvider;
import java.security.InvalidParameterException;
import java.security.Provider;
import java.security.ProviderException;
import java.security.Security;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Finds a backend's token by label in its PKCS#11 library (slot ids change; see {@link Pkcs11Module})
 * and configures a SunPKCS11 provider on the token's slot, with the templates that keep generated
 * keys sensitive and never extractable.
 */
final class TokenLocator {
    private final String backendName;
    private final String library;
    private final String tokenLabel;

    TokenLocator(String backendName, String library, String tokenLabel) {
        this.backendName = backendName;
        this.library = library;
        this.tokenLabel = tokenLabel;
    }

    String backendName() {
        return backendName;
    }

    String library() {
        return library;
    }

    String tokenLabel() {
        return tokenLabel;
    }

    /** The one token labelled {@code tokenLabel}; refuses a library path SunPKCS11 could not use, and a missing or ambiguous label. */
    Pkcs11Module.Token find() throws TokenUnusableException {
        if (library.indexOf('"') >= 0 || library.indexOf('\n') >= 0 || library.contains("${")) {
            throw unavailable("PKCS#11 library path " + library
                    + " contains characters a SunPKCS11 configuration cannot hold", null);
        }
        Path path;
        try {
            path = Path.of(library);
        } catch (InvalidPathException e) {
            throw unavailable("PKCS#11 library path " + library + " is not a valid path", e);
        }
        if (!path.isAbsolute()) {
            throw unavailable("PKCS#11 library path " + library
                    + " must be absolute (SunPKCS11 refuses relative ones)", null);
        }
        if (!Files.isRegularFile(path)) {
            throw unavailable("PKCS#11 library " + library + " does not exist or is not a file", null);
        }
        try {
            List<Pkcs11Module.Token> tokens = Pkcs11Module.open(library).tokens();
            List<Pkcs11Module.Token> matching = tokens.stream().filter(t -> t.label().equals(tokenLabel)).toList();
            if (matching.isEmpty()) {
                String present = tokens.stream().map(Pkcs11Module.Token::label).filter(l -> !l.isEmpty())
                        .limit(10).map(l -> "'" + l + "'").collect(Collectors.joining(", "));
                throw unavailable("token '" + tokenLabel + "' not found in PKCS#11 library "
                        + library + " (tokens present: " + (present.isEmpty() ? "none" : present) + ")", null);
            }
            if (matching.size() > 1) {
                throw unavailable(matching.size() + " tokens are labelled '" + tokenLabel
                        + "' in PKCS#11 library " + library + ": the label must name exactly one", null);
            }
            return matching.get(0);
        } catch (Pkcs11Module.Pkcs11ModuleException e) {
            throw unavailable(e.getMessage(), e.getCause());
        }
    }

    /** A SunPKCS11 provider of its own on {@code token}'s slot, not yet logged in. */
    AuthProvider configure(Pkcs11Module.Token token) throws TokenUnusableException {
        Provider base = Security.getProvider("SunPKCS11");
        if (base == null) {
            throw unavailable("the SunPKCS11 provider is not present in this Java runtime", null);
        }
        try {
            return (AuthProvider) base.configure(providerConfig(token));
        } catch (InvalidParameterException | ProviderException | UnsupportedOperationException e) {
            throw unavailable("cannot configure SunPKCS11 for token '" + tokenLabel + "' ("
                    + Pkcs11Module.describe(e) + ")", e);
        }
    }

    /**
     * SunPKCS11's {@code slot} is parsed as an int, so a slot id beyond it is given as its index
     * in the slot list (stable while the module stays initialised). SoftHSM keeps ids below 2^31.
     * Generated secret keys are sensitive, never extractable and only good for MACs; generated private
     * keys are sensitive, never extractable and only good for signing.
     */
    private String providerConfig(Pkcs11Module.Token token) {
        String slot = token.slotId() <= Integer.MAX_VALUE
                ? "slot = " + token.slotId()
                : "slotListIndex = " + token.slotListIndex();
        return "--name = Rotakey-" + backendName.replaceAll("[^A-Za-z0-9_.-]", "_") + "\n"
                + "library = \"" + library + "\"\n"
                + slot + "\n"
                + "attributes(generate, CKO_PRIVATE_KEY, *) = {\n"
                + "  CKA_SENSITIVE = true\n"
                + "  CKA_EXTRACTABLE = false\n"
                + "  CKA_SIGN = true\n"
                + "  CKA_DECRYPT = false\n"
                + "  CKA_UNWRAP = false\n"
                + "  CKA_DERIVE = false\n"
                + "}\n"
                + "attributes(generate, CKO_SECRET_KEY, *) = {\n"
                + "  CKA_SENSITIVE = true\n"
                + "  CKA_EXTRACTABLE = false\n"
                + "  CKA_SIGN = true\n"
                + "  CKA_VERIFY = true\n"
                + "  CKA_ENCRYPT = false\n"
                + "  CKA_DECRYPT = false\n"
                + "  CKA_WRAP = false\n"
                + "  CKA_UNWRAP = false\n"
                + "  CKA_DERIVE = false\n"
                + "}\n";
    }

    private static TokenUnusableException unavailable(String message, Throwable cause) {
        return new TokenUnusableException(Failure.UNAVAILABLE, message, cause);
    }
}
