package dev.rotakey.auth;

import dev.rotakey.ca.CertificateAuthorities;
import dev.rotakey.ca.TrustedGeneration;

import java.util.List;

/**
 * One of Rotakey's own CAs as a client-certificate authority: every generation in use is an anchor (so a CA rotation
 * changes nothing for certificates still valid), and each one's CRL is the one published now, read at every check.
 */
final class RotakeyCaAuthority implements ClientCertificateAuthority {
    private final CertificateAuthorities authorities;
    private final String name;

    RotakeyCaAuthority(CertificateAuthorities authorities, String name) {
        this.authorities = authorities;
        this.name = name;
    }

    @Override
    public String describe() {
        return "ca " + name;
    }

    @Override
    public String rotakeyCa() {
        return name;
    }

    @Override
    public Trust trust() {
        List<TrustedGeneration> generations = authorities.trusted(name);
        return new Trust(generations.stream().map(TrustedGeneration::certificate).toList(),
                generations.stream().map(TrustedGeneration::crl).toList(), true);
    }
}
