package dev.rotakey.backend.vault;

import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackendContractTest;
import dev.rotakey.config.SecretSource;
import dev.rotakey.testing.VaultTestServer;
import dev.rotakey.vault.VaultAuthFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The key backend contract on Vault transit, against the in-process Vault over HTTP; offline means
 * an address where nothing listens.
 */
class VaultTransitKeyBackendContractTest extends KeyBackendContractTest {
    private static VaultTestServer server;
    private static Path tokenFile;
    private static String closedAddress;

    @BeforeAll
    static void startVault() throws IOException {
        server = VaultTestServer.start();
        tokenFile = Files.createTempFile("vault-token", "");
        Files.writeString(tokenFile, server.rootToken());
        // A port that was free a moment ago: connecting is refused at once, no timeout to wait for.
        try (ServerSocket socket = new ServerSocket(0)) {
            closedAddress = "http://127.0.0.1:" + socket.getLocalPort();
        }
    }

    @AfterAll
    static void stopVault() throws IOException {
        server.stop();
        Files.deleteIfExists(tokenFile);
    }

    private static VaultTransitKeyBackendFactory factory(String address) {
        VaultAuthFactory auth = new VaultAuthFactory();
        auth.setMethod(VaultAuthFactory.Method.TOKEN);
        auth.setToken(SecretSource.fromFile(tokenFile.toString()));
        VaultTransitKeyBackendFactory factory = new VaultTransitKeyBackendFactory();
        factory.setAddress(address);
        factory.setAuth(auth);
        return factory;
    }

    @Override
    protected KeyBackend newBackend() {
        return factory(server.address()).build("vault");
    }

    @Override
    protected KeyBackend offlineBackend() {
        return factory(closedAddress).build("vault");
    }

    @Override
    protected void cleanUp(KeyBackend backend, List<String> aliases) {
        aliases.forEach(backend::destroySigningKey);
    }

    @Override
    protected String expectedName() {
        return "vault";
    }

    @Override
    protected String expectedType() {
        return "vault-transit";
    }

    @Override
    protected List<String> secrets() {
        return List.of(server.rootToken());
    }
}
