package dev.rotakey.targets.hooks;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.dropwizard.jackson.Discoverable;
import io.dropwizard.validation.selfvalidating.SelfValidating;

/**
 * Configuration of one reload hook in a target's {@code hooks} map, chosen by its {@code type} ({@code exec},
 * {@code signal}, {@code http}). Hooks are defined by the operator only; a binding merely names one. Each
 * implementation is listed in {@code META-INF/services/dev.rotakey.targets.hooks.ReloadHookFactory}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@SelfValidating
public abstract class ReloadHookFactory implements Discoverable {

    /** Builds the hook named {@code name}; files and secrets in its config are read here, once. */
    public abstract ReloadHook build(String name);

    /** {@code hooks[name]}: the prefix of every start-up message about this hook. */
    protected static String key(String name) {
        return "hooks[" + name + "]";
    }
}
