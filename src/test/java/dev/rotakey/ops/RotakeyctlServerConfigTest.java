package dev.rotakey.ops;

import dev.rotakey.testing.Commands;
import dev.rotakey.testing.Commands.Run;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * rotakeyctl with no connection settings follows the daemon's own config ({@code server_config}): the first application
 * and admin connectors give the URLs, {@code auth.adminTokenFile} or the data directory the token file, and a flag, a
 * variable or a rotakeyctl.conf key still wins. Checked through {@code rotakeyctl config --json}, which says where each
 * setting came from.
 */
class RotakeyctlServerConfigTest {
    private static final Path SCRIPT = Path.of("scripts/rotakeyctl");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;


    /** rotakeyctl with a clean environment (no ROTAKEY_*) plus the given variables; python3 -c to hide PyYAML. */
    private static Run run(Map<String, String> env, boolean withoutYaml, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("python3");
        if (withoutYaml) {
            command.addAll(List.of("-c", "import runpy, sys; sys.modules['yaml'] = None; sys.argv = sys.argv[1:];"
                    + " runpy.run_path(sys.argv[0], run_name='__main__')"));
        }
        command.add(SCRIPT.toString());
        command.addAll(List.of(args));
        return Commands.run(command, env, null, null, Duration.ofSeconds(60));
    }

    private JsonNode settings(Run r) throws IOException {
        assertThat(r.exit()).as(r.err()).isZero();
        return JSON.readTree(r.out());
    }

    private Path ctlConf(String... lines) throws IOException {
        Path conf = tmp.resolve("rotakeyctl.conf");
        Files.writeString(conf, "[rotakey]\n" + String.join("\n", lines) + "\n");
        return conf;
    }

    private Path serverConfig(String yaml) throws IOException {
        Path config = tmp.resolve("rotakey.yml");
        Files.writeString(config, yaml);
        return config;
    }

    private static final String HTTP_AND_MTLS = """
            dataDir: ${ROTAKEY_DATA_DIR:-./data}
            server:
              applicationConnectors:
                - type: http
                  bindHost: 0.0.0.0
                  port: ${TEST_HTTP_PORT:-18080}
                - type: https
                  port: 9999
              adminConnectors:
                - type: https-mtls
                  bindHost: 10.1.2.3
                  port: 18443
            auth:
              adminTokenFile: ${TEST_TOKEN_DIR:-/srv/rotakey}/admin-token
            """;

    @Test
    void theUrlsAndTokenFileComeFromTheFirstConnectorsAndAuth() throws Exception {
        Path server = serverConfig(HTTP_AND_MTLS);
        JsonNode s = settings(run(Map.of(), false, "--config", ctlConf("server_config = " + server).toString(),
                "config", "--json"));
        assertThat(s.at("/url/value").asText()).isEqualTo("http://127.0.0.1:18080");
        assertThat(s.at("/url/source").asText()).isEqualTo("derived from " + server);
        assertThat(s.at("/admin_url/value").asText()).isEqualTo("https://10.1.2.3:18443");
        assertThat(s.at("/admin_url/source").asText()).isEqualTo("derived from " + server);
        assertThat(s.at("/token/value").asText()).startsWith("/srv/rotakey/admin-token or ");
        assertThat(s.at("/server_config/value").asText()).isEqualTo(server.toString());
        assertThat(s.at("/server_config/source").asText()).startsWith("server_config in ");

        // ${VAR} from the caller's environment; the token file beside dataDir when auth names none.
        Files.writeString(server, HTTP_AND_MTLS.replace("  adminTokenFile: ${TEST_TOKEN_DIR:-/srv/rotakey}/admin-token\n",
                "  enabled: true\n"));
        s = settings(run(Map.of("TEST_HTTP_PORT", "28080", "ROTAKEY_DATA_DIR", "/data/rk"), false,
                "--server-config", server.toString(), "config", "--json"));
        assertThat(s.at("/url/value").asText()).isEqualTo("http://127.0.0.1:28080");
        assertThat(s.at("/token/value").asText()).startsWith("/data/rk/admin-token or ");
        assertThat(s.at("/server_config/source").asText()).isEqualTo("--server-config");
    }

    @Test
    void anAbsentServerSectionMeansDropwizardsDefaultsAndTheUnitsDataDirectory() throws Exception {
        Path server = serverConfig("dataDir: ${ROTAKEY_DATA_DIR:-./data}\n");
        JsonNode s = settings(run(Map.of("ROTAKEY_SERVER_CONFIG", server.toString()), false, "config", "--json"));
        assertThat(s.at("/url/value").asText()).isEqualTo("http://127.0.0.1:8080");
        assertThat(s.at("/admin_url/value").asText()).isEqualTo("http://127.0.0.1:8081");
        // The unit's Environment=ROTAKEY_DATA_DIR=/var/lib/rotakey, as the daemon under systemd sees it.
        assertThat(s.at("/token/value").asText()).startsWith("/var/lib/rotakey/admin-token");
        assertThat(s.at("/server_config/source").asText()).isEqualTo("ROTAKEY_SERVER_CONFIG");
    }

    @Test
    void aFlagAVariableOrAConfKeyBeatsWhatIsDerived() throws Exception {
        Path server = serverConfig(HTTP_AND_MTLS);
        Path conf = ctlConf("server_config = " + server, "admin_url = http://127.0.0.1:7001",
                "token_file = " + tmp.resolve("my-token"));
        JsonNode s = settings(run(Map.of("ROTAKEY_URL", "http://127.0.0.1:7000"), false,
                "--config", conf.toString(), "--timeout", "5", "config", "--json"));
        assertThat(s.at("/url/value").asText()).isEqualTo("http://127.0.0.1:7000");
        assertThat(s.at("/url/source").asText()).isEqualTo("ROTAKEY_URL");
        assertThat(s.at("/admin_url/value").asText()).isEqualTo("http://127.0.0.1:7001");
        assertThat(s.at("/admin_url/source").asText()).isEqualTo("admin_url in " + conf);
        assertThat(s.at("/token/value").asText()).isEqualTo(tmp.resolve("my-token").toString());
        assertThat(s.at("/timeout/source").asText()).isEqualTo("--timeout");

        s = settings(run(Map.of(), false, "--config", conf.toString(), "--url", "http://127.0.0.1:7002",
                "--server-config", "none", "config", "--json"));
        assertThat(s.at("/url/value").asText()).isEqualTo("http://127.0.0.1:7002");
        assertThat(s.at("/server_config/value").asText()).isEqualTo("none");
    }

    @Test
    void anUnreadableServerConfigFallsBackToTheDefaultsWithOneNote() throws Exception {
        Path server = serverConfig(HTTP_AND_MTLS);
        Run noYaml = run(Map.of(), true, "--server-config", server.toString(), "config", "--json");
        assertThat(settings(noYaml).at("/url/value").asText()).isEqualTo("http://127.0.0.1:8080");
        assertThat(noYaml.err().lines()).singleElement().asString().contains("PyYAML", "python3-yaml");

        Files.writeString(server, "server: [\n");
        Run broken = run(Map.of(), false, "--server-config", server.toString(), "config", "--json");
        assertThat(settings(broken).at("/admin_url/value").asText()).isEqualTo("http://127.0.0.1:8081");
        assertThat(broken.err().lines()).singleElement().asString().contains(server.toString(), "not valid YAML");

        Run missing = run(Map.of(), false, "--server-config", tmp.resolve("absent.yml").toString(), "status");
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("absent.yml", "does not exist").doesNotContain("Traceback");
    }

    @Test
    void theCommandsUseTheDerivedUrl() throws Exception {
        // Nothing listens on the derived port: the failure names it, so the derivation reached the HTTP client.
        Path server = serverConfig(HTTP_AND_MTLS.replace("${TEST_HTTP_PORT:-18080}", "1"));
        Path token = tmp.resolve("admin-token");
        Files.writeString(token, "not-a-real-token\n");
        Run status = run(Map.of("ROTAKEY_TOKEN_FILE", token.toString()), false,
                "--server-config", server.toString(), "agents");
        assertThat(status.exit()).as(status.err()).isEqualTo(3);
        assertThat(status.err()).contains("cannot connect to http://127.0.0.1:1");
    }
}
