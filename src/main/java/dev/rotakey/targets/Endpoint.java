package dev.rotakey.targets;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Where a consumer logs in with a credential that a target defines a user for: the server's engine, host, port and
 * database, as the target is configured. Passed on with the {@link Login} so that a delivered bundle tells the consumer
 * everything it needs to connect (as AWS's database secrets do). Public data.
 *
 * @param engine   {@code postgresql}, {@code mariadb} or {@code redis}: also the scheme of the bundle's URI
 * @param database null where the engine or the configuration has none
 * @param tls      whether the server is reached over TLS (a {@code rediss://} URI)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Endpoint(String engine, String host, int port, String database, boolean tls) {
}
