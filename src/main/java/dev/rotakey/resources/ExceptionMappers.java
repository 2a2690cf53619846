package dev.rotakey.resources;

import jakarta.ws.rs.ext.ExceptionMapper;

import java.util.List;

/** Every exception mapper of the application port, registered together so that no answer falls back to Jersey's. */
public final class ExceptionMappers {
    private ExceptionMappers() {
    }

    public static List<ExceptionMapper<?>> all() {
        return List.of(new RejectedExceptionMapper(), new JsonInputExceptionMapper(), new KeyBackendExceptionMapper(),
                new CertificateAuthorityNotReadyExceptionMapper());
    }
}
