package dev.rotakey.auth;

import dev.rotakey.ca.CertificateAuthorities;
import dev.rotakey.ca.TrustedGeneration;
import dev.rotakey.db.NotifiedCache;

import java.util.List;
import java.util.Optional;

/**
 * One of Rotakey's own CAs as a client-certificate authority: every generation in use is an anchor (so a CA rotation
 * changes nothing for certificates still valid), and each one's CRL is the one published now. The generations and
 * CRLs, parsed, are kept in a node cache that any change of a CA or a CRL on any node empties, so that a revocation
 * counts from its commit without reading and parsing them at every request and every handshake.
 */
final class RotakeyCaAuthority implements ClientCertificateAuthority {
    private final CertificateAuthorities authorities;
    private final String name;
    private final NotifiedCache<String, List<TrustedGeneration>> cache;

    RotakeyCaAuthority(CertificateAuthorities authorities, String name, NotifiedCache<String, List<TrustedGeneration>> cache) {
        this.authorities = authorities;
        this.name = name;
        this.cache = cache;
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
        List<TrustedGeneration> generations = cache.find(name, n -> Optional.of(authorities.trusted(n))).orElseThrow();
        return new Trust(generations.stream().map(TrustedGeneration::certificate).toList(),
                generations.stream().map(TrustedGeneration::crl).toList(), true);
    }
}
