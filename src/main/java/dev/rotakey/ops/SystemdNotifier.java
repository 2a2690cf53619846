package dev.rotakey.ops;

import io.dropwizard.lifecycle.PortDescriptor;
import io.dropwizard.lifecycle.ServerLifecycleListener;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.component.LifeCycle;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.stream.Collectors;

/**
 * Tells systemd ({@code Type=notify}) the daemon's state through {@code $NOTIFY_SOCKET}: {@code READY=1} once Jetty
 * has opened both connectors and every managed object (migrations, key backends, recovery, scheduler) has started,
 * {@code STOPPING=1} as the shutdown begins. Without the variable it does nothing. The socket is a UNIX datagram one,
 * a path or {@code @abstract}, which the JDK cannot send to: junixsocket does.
 */
public final class SystemdNotifier implements ServerLifecycleListener {
    private static final Logger LOG = LoggerFactory.getLogger(SystemdNotifier.class);

    private final String socket;

    /** @param socket the value of {@code NOTIFY_SOCKET}; null or empty: notify nobody */
    public SystemdNotifier(String socket) {
        this.socket = socket == null || socket.isEmpty() ? null : socket;
    }

    public static SystemdNotifier fromEnvironment() {
        return new SystemdNotifier(System.getenv("NOTIFY_SOCKET"));
    }

    @Override
    public void serverStarted(Server server) {
        if (socket == null) {
            return;
        }
        String ports = getPortDescriptorList(server).stream().map(SystemdNotifier::describe).collect(Collectors.joining(", "));
        LOG.info("telling systemd at NOTIFY_SOCKET={}: ready", socket);
        notify("READY=1\nSTATUS=serving: " + ports);
        server.addEventListener(new LifeCycle.Listener() {
            @Override
            public void lifeCycleStopping(LifeCycle event) {
                SystemdNotifier.this.notify("STOPPING=1\nSTATUS=stopping: finishing rotation steps in progress");
            }
        });
    }

    private static String describe(PortDescriptor port) {
        return port.getConnectorType() + " " + port.getProtocol() + " " + port.getHost() + ":" + port.getPort();
    }

    /** Sends one datagram of {@code newline-separated VAR=value} assignments; a failure is logged, never thrown. */
    void notify(String state) {
        if (socket == null) {
            return;
        }
        try (AFUNIXDatagramChannel channel = AFUNIXDatagramChannel.open()) {
            channel.send(ByteBuffer.wrap(state.getBytes(StandardCharsets.UTF_8)), address());
        } catch (IOException | RuntimeException | LinkageError e) {
            // systemd then times the start out (TimeoutStartSec=) and says so; the daemon itself is fine.
            LOG.warn("cannot notify systemd at NOTIFY_SOCKET={}: {}", socket, e.toString());
        }
    }

    private SocketAddress address() throws IOException {
        return socket.startsWith("@") ? AFUNIXSocketAddress.inAbstractNamespace(socket.substring(1))
                : AFUNIXSocketAddress.of(Path.of(socket));
    }
}
