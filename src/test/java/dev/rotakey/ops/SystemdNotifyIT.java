package dev.rotakey.ops;

import dev.rotakey.crash.CrashToken;
import dev.rotakey.testing.DaemonProcess;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The real daemon (a child JVM, as systemd runs it) with {@code NOTIFY_SOCKET} naming an abstract-namespace datagram
 * socket that a python3 process listens on, as systemd's is: {@code READY=1} comes once {@code /health/ready} answers 200 (checked
 * the moment it arrives), with a {@code STATUS=} naming the ports, and nothing before it; SIGTERM brings
 * {@code STOPPING=1}.
 */
class SystemdNotifyIT {
    /** One datagram, and whether /health/ready answered 200 when it had just arrived. */
    private record Message(String text, int readyStatus) {
    }

    @Test
    void readyOnceServingAndStoppingOnSigterm() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        Path base = Path.of("target", "notify-it", run).toAbsolutePath();
        CrashToken token = CrashToken.create(base.resolve("softhsm"), base.resolve("data"));
        String socketName = "rotakey-notify-it-" + run;
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        List<Message> messages = new CopyOnWriteArrayList<>();

        // systemd's side, as systemd does it (a datagram socket in the abstract namespace), by a python3 process: one
        // line of repr() per datagram.
        Process listener = new ProcessBuilder("python3", "-u", "-c", String.join("\n",
                "import socket, sys",
                "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)",
                "s.bind('\\0' + sys.argv[1])",
                "print('bound', flush=True)",
                "while True:",
                "    print(repr(s.recv(4096).decode()), flush=True)"), socketName).redirectErrorStream(true).start();
        try (DaemonProcess daemon = new DaemonProcess(Path.of("config/rotakey.yml"), base.resolve("data"), Map.of(),
                Map.of("SOFTHSM2_CONF", token.conf().toString(), "NOTIFY_SOCKET", "@" + socketName))) {
            BufferedReader lines = new BufferedReader(new InputStreamReader(listener.getInputStream(), StandardCharsets.UTF_8));
            assertThat(lines.readLine()).isEqualTo("bound");
            Thread receiver = new Thread(() -> {
                try {
                    for (String line; (line = lines.readLine()) != null; ) {
                        // repr() of a str: quoted, with \n for the newlines between assignments.
                        String text = line.substring(1, line.length() - 1).replace("\\n", "\n");
                        messages.add(new Message(text, text.contains("READY=1") ? readyStatus(http, daemon) : -1));
                    }
                } catch (Exception e) {
                    messages.add(new Message("listener failed: " + e, -1));
                }
            }, "notify-listener");
            receiver.setDaemon(true);
            receiver.start();

            daemon.start("");
            await("READY=1").atMost(Duration.ofSeconds(30)).until(() -> !messages.isEmpty());
            Message ready = messages.get(0);
            assertThat(ready.text()).as("the first message").startsWith("READY=1\nSTATUS=serving: ")
                    .contains("application http/1.1 127.0.0.1:", "admin http/1.1 127.0.0.1:");
            assertThat(ready.readyStatus()).as("/health/ready when READY=1 arrived").isEqualTo(200);

            daemon.stop();
            await("STOPPING=1").atMost(Duration.ofSeconds(30)).until(() -> messages.size() >= 2);
            assertThat(messages).extracting(Message::text).hasSize(2);
            assertThat(messages.get(1).text()).startsWith("STOPPING=1\n").contains("STATUS=stopping");
        } finally {
            listener.destroy();
        }
    }

    private static int readyStatus(HttpClient http, DaemonProcess daemon) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(daemon.apiUrl("/health/ready"))).timeout(Duration.ofSeconds(5))
                    .build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return 0;
        }
    }
}
