package dev.rotakey.backend.pkcs11;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackendFactory;
import dev.rotakey.config.SecretSource;
import dev.rotakey.config.SecretUnavailableException;
import io.dropwizard.validation.ValidationMethod;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * Configuration of a {@code type: pkcs11} key backend: a PKCS#11 module, the label of the token
 * in it, where its user PIN comes from, and the label of the HMAC key Rotakey keeps there.
 */
@JsonTypeName("pkcs11")
public class Pkcs11KeyBackendFactory implements KeyBackendFactory {
    public static final String DEFAULT_HMAC_KEY_LABEL = "rotakey-hmac-v1";

    @NotEmpty
    private String library;

    @NotEmpty
    private String tokenLabel;

    @Valid
    @NotNull
    private SecretSource pin;

    // SunPKCS11 writes CKA_LABEL one char per byte: anything beyond printable ASCII would be mangled.
    @NotEmpty
    @Pattern(regexp = "[!-~]([ -~]*[!-~])?", message = "must be printable ASCII without leading or trailing spaces")
    private String hmacKeyLabel = DEFAULT_HMAC_KEY_LABEL;

    @JsonProperty
    public String getLibrary() {
        return library;
    }

    @JsonProperty
    public void setLibrary(String library) {
        this.library = library;
    }

    @JsonProperty
    public String getTokenLabel() {
        return tokenLabel;
    }

    @JsonProperty
    public void setTokenLabel(String tokenLabel) {
        this.tokenLabel = tokenLabel;
    }

    @JsonProperty
    public SecretSource getPin() {
        return pin;
    }

    @JsonProperty
    public void setPin(SecretSource pin) {
        this.pin = pin;
    }

    @JsonProperty
    public String getHmacKeyLabel() {
        return hmacKeyLabel;
    }

    @JsonProperty
    public void setHmacKeyLabel(String hmacKeyLabel) {
        this.hmacKeyLabel = hmacKeyLabel;
    }

    @JsonIgnore
    @ValidationMethod(message = "library must be an absolute path (SunPKCS11 refuses relative ones)")
    public boolean isLibraryAbsolute() {
        if (library == null || library.isEmpty()) {
            return true;
        }
        try {
            return Path.of(library).isAbsolute();
        } catch (InvalidPathException e) {
            return false;
        }
    }

    @JsonIgnore
    @ValidationMethod(message = "tokenLabel must fit the 32 bytes of a PKCS#11 token label (UTF-8), without trailing spaces")
    public boolean isTokenLabelFitting() {
        return tokenLabel == null
                || (tokenLabel.getBytes(StandardCharsets.UTF_8).length <= 32 && !tokenLabel.endsWith(" "));
    }

    /**
     * Reads the PIN now, so a missing secret stops start-up naming {@code keyBackends.<name>.pin};
     * the backend connects in {@link KeyBackend#start()}.
     */
    @Override
    public KeyBackend build(String name) {
        String pinKey = "keyBackends." + name + ".pin";
        if (pin == null) {
            throw new SecretUnavailableException(pinKey + ": no secret source configured");
        }
        char[] value = pin.read(pinKey);
        return new Pkcs11KeyBackend(name, library, tokenLabel, hmacKeyLabel, pin, pinKey, value);
    }

    @Override
    public String toString() {
        return "Pkcs11KeyBackendFactory{library=" + library + ", tokenLabel=" + tokenLabel + ", pin=" + pin
                + ", hmacKeyLabel=" + hmacKeyLabel + "}";
    }
}
