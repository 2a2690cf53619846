package dev.rotakey.targets.hooks;

import dev.rotakey.config.SecretSource;
import dev.rotakey.testing.RecordingHttpServer;
import io.dropwizard.util.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static dev.rotakey.targets.hooks.ExecHookTest.DELIVERED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The {@code http} hook against a receiver on loopback: what it sends, how it sorts failures, and what it never shows. */
class HttpHookTest {
    private static final String TOKEN = "s3cr3t-reload-token-0123456789";

    @TempDir
    Path dir;

    private RecordingHttpServer agent;

    @BeforeEach
    void start() throws IOException {
        agent = new RecordingHttpServer(204);
    }

    @AfterEach
    void stop() {
        agent.close();
    }

    private HttpHookFactory factory(String url) throws IOException {
        HttpHookFactory factory = new HttpHookFactory();
        factory.setUrl(url);
        factory.setAllowHttp(true);
        factory.setTimeout(Duration.seconds(5));
        factory.setToken(SecretSource.fromFile(Files.writeString(dir.resolve("token"), TOKEN + "\n").toString()));
        return factory;
    }

    private ReloadHookException failure(ReloadHook hook) {
        return catchThrowableOfType(() -> hook.run(DELIVERED), ReloadHookException.class);
    }

    @Test
    void postsTheDeliveryWithTheBearerToken() throws Exception {
        factory(agent.url("/reload")).build("agent-reload").run(DELIVERED);

        assertThat(agent.requests()).singleElement().satisfies(r -> {
            assertThat(r.method()).isEqualTo("POST");
            assertThat(r.path()).isEqualTo("/reload");
            assertThat(r.header("Authorization")).isEqualTo("Bearer " + TOKEN);
            assertThat(r.header("Content-Type")).isEqualTo("application/json");
            // exactly these fields, in this order: the material is never among them
            assertThat(r.text()).isEqualTo("{\"target\":\"files\",\"agent\":\"agent-7\",\"credential\":\"db-password\","
                    + "\"version\":3,\"stage\":\"delivered\",\"path\":\"/srv/rotakey/app/db.pw\"}");
        });
    }

    @Test
    void putsWhenTold() throws Exception {
        HttpHookFactory factory = factory(agent.url("/reload"));
        factory.setMethod("PUT");
        factory.setToken(null);

        factory.build("agent-reload").run(DELIVERED);

        assertThat(agent.requests()).singleElement().satisfies(r -> {
            assertThat(r.method()).isEqualTo("PUT");
            assertThat(r.header("Authorization")).isNull();
        });
    }

    @Test
    void aServerErrorFailsRetryably() throws Exception {
        agent.answer(500);

        ReloadHookException e = failure(factory(agent.url("/reload")).build("agent-reload"));

        assertThat(e).hasMessage("hook 'agent-reload' of target 'files' answered HTTP 500");
        assertThat(e.retryable()).isTrue();
    }

    @Test
    void tooManyRequestsAndRequestTimeoutAreRetryable() throws Exception {
        agent.answer(429, 408);
        ReloadHook hook = factory(agent.url("/reload")).build("agent-reload");

        assertThat(failure(hook).retryable()).isTrue();
        assertThat(failure(hook).retryable()).isTrue();
    }

    @Test
    void aClientErrorFailsForGood() throws Exception {
        agent.answer(404);

        ReloadHookException e = failure(factory(agent.url("/reload")).build("agent-reload"));

        assertThat(e).hasMessage("hook 'agent-reload' of target 'files' answered HTTP 404");
        assertThat(e.retryable()).isFalse();
    }

    @Test
    void aRedirectIsNotFollowed() throws Exception {
        agent.answer(307);

        ReloadHookException e = failure(factory(agent.url("/reload")).build("agent-reload"));

        assertThat(e).hasMessageEndingWith("answered HTTP 307");
        assertThat(agent.requests()).hasSize(1);
    }

    @Test
    void anUnreachableEndpointFailsRetryably() throws Exception {
        int port;
        try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = closed.getLocalPort();
        }

        ReloadHookException e = failure(factory("http://127.0.0.1:" + port + "/reload").build("agent-reload"));

        assertThat(e).hasMessageStartingWith("hook 'agent-reload' of target 'files' failed (");
        assertThat(e.retryable()).isTrue();
    }

    @Test
    void aHangingEndpointTimesOutRetryably() throws Exception {
        agent.hang();
        HttpHookFactory factory = factory(agent.url("/reload"));
        factory.setTimeout(Duration.milliseconds(300));

        ReloadHookException e = failure(factory.build("agent-reload"));

        assertThat(e).hasMessageContaining("timed out");
        assertThat(e.retryable()).isTrue();
    }

    /** Neither descriptions nor failures may repeat the token, in a header or in the URL's query. */
    @Test
    void theTokenAppearsInNoDescriptionOrFailure() throws Exception {
        HttpHookFactory factory = factory(agent.url("/reload?token=" + TOKEN));
        ReloadHook hook = factory.build("agent-reload");
        ReloadHooks hooks = ReloadHooks.build("files", Map.of("agent-reload", factory));

        assertThat(factory.toString()).doesNotContain(TOKEN).contains("127.0.0.1");
        assertThat(hook.toString()).doesNotContain(TOKEN).contains("agent-reload");
        assertThat(hooks.toString()).doesNotContain(TOKEN);
        for (int status : new int[] {500, 401, 404, 307}) {
            agent.answer(status);
            assertThat(failure(hook).getMessage()).doesNotContain(TOKEN).doesNotContain("token=");
        }
        agent.hang();
        factory.setTimeout(Duration.milliseconds(200));
        assertThat(failure(factory.build("agent-reload")).getMessage()).doesNotContain(TOKEN);
    }

    @Test
    void aTokenNoHeaderCanCarryFailsTheStartWithoutBeingRepeated() throws Exception {
        HttpHookFactory factory = factory(agent.url("/reload"));
        factory.setToken(SecretSource.fromFile(Files.writeString(dir.resolve("bad"), "two words\n").toString()));

        assertThatThrownBy(() -> factory.build("agent-reload"))
                .hasMessage("hooks[agent-reload].token: holds characters an Authorization header cannot carry");
    }

    @Test
    void anUnreadableTokenFailsTheStart() throws Exception {
        HttpHookFactory factory = factory(agent.url("/reload"));
        factory.setToken(SecretSource.fromFile(dir.resolve("missing").toString()));

        assertThatThrownBy(() -> factory.build("agent-reload")).hasMessageStartingWith("hooks[agent-reload].token: ");
    }
}
