package dev.userpoll.transport.testsuite;

import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs every test of the class once per ring source under test ({@link UserpollSocketTestPermutation#sources()}),
 * the source injected into the class's {@code @Parameter} field. Each invocation then carries the load Netty's
 * epoll module gives the same test (up to three channel combinations, two allocators), so the upstream timeouts apply
 * per source as they were written, and the report says which source a failure belongs to.
 */
@Documented
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ParameterizedClass(name = "{0}")
@MethodSource("dev.userpoll.transport.testsuite.UserpollSocketTestPermutation#sources")
public @interface EveryRingSource {
}
