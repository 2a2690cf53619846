package dev.rotakey.alert;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.dropwizard.jackson.Discoverable;

/**
 * Configuration of one alert sink under {@code alerting.sinks}, chosen by its {@code type}
 * ({@code webhook}, {@code alertmanager}, {@code slack}, {@code pagerduty}, {@code email}). Each
 * implementation is listed in {@code META-INF/services/dev.rotakey.alert.AlertSinkFactory}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
public interface AlertSinkFactory extends Discoverable {

    /** Builds the sink named {@code name}; secrets in its config are read here, once. */
    AlertSink build(String name);
}
