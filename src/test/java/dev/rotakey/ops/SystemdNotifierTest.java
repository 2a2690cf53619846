package dev.rotakey.ops;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/** {@link SystemdNotifier} sends to a socket path as well as an abstract name, and quietly to nobody without one. */
class SystemdNotifierTest {
    @TempDir
    Path tmp;

    @Test
    void sendsOneDatagramToASocketPath() throws Exception {
        Path socket = tmp.resolve("notify");
        try (AFUNIXDatagramChannel listener = AFUNIXDatagramChannel.open()) {
            listener.bind(AFUNIXSocketAddress.of(socket));
            new SystemdNotifier(socket.toString()).notify("READY=1\nSTATUS=serving");
            ByteBuffer buffer = ByteBuffer.allocate(1024);
            listener.receive(buffer);
            buffer.flip();
            assertThat(StandardCharsets.UTF_8.decode(buffer).toString()).isEqualTo("READY=1\nSTATUS=serving");
        }
    }

    @Test
    void sendsToAnAbstractNamespaceSocket() throws Exception {
        String name = "rotakey-notifier-test-" + ProcessHandle.current().pid();
        try (AFUNIXDatagramChannel listener = AFUNIXDatagramChannel.open()) {
            listener.bind(AFUNIXSocketAddress.inAbstractNamespace(name));
            new SystemdNotifier("@" + name).notify("STOPPING=1");
            ByteBuffer buffer = ByteBuffer.allocate(1024);
            listener.receive(buffer);
            buffer.flip();
            assertThat(StandardCharsets.UTF_8.decode(buffer).toString()).isEqualTo("STOPPING=1");
        }
    }

    @Test
    void withoutNotifySocketOrWithAGoneOneNothingIsThrown() {
        assertThatCode(() -> new SystemdNotifier(null).notify("READY=1")).doesNotThrowAnyException();
        assertThatCode(() -> new SystemdNotifier("").notify("READY=1")).doesNotThrowAnyException();
        assertThatCode(() -> new SystemdNotifier(tmp.resolve("nobody").toString()).notify("READY=1")).doesNotThrowAnyException();
    }
}
