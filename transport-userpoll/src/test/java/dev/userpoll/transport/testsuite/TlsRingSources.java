package dev.userpoll.transport.testsuite;

import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs every test of the class once per ring source of {@link UserpollSocketTestPermutation#tlsSources()} (one
 * direct, one batched), the source injected into the class's {@code @Parameter} field: for the TLS classes over
 * Unix-domain sockets, whose bytes the plain classes already prove on every source.
 */
@Documented
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ParameterizedClass(name = "{0}")
@MethodSource("dev.userpoll.transport.testsuite.UserpollSocketTestPermutation#tlsSources")
public @interface TlsRingSources {
}
