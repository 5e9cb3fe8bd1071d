package dev.userpoll.examples.spring;

import dev.userpoll.transport.SelectedTransport;
import dev.userpoll.transport.TransportSelector;
import dev.userpoll.transport.reactor.UserpollLoopResources;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.annotation.Bean;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.MediaType;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.netty.Connection;

import static org.springframework.web.reactive.function.server.RouterFunctions.route;

/**
 * A Spring Boot 4 WebFlux echo app on the transport {@code userpoll.transport} chooses. The whole integration is the
 * {@link ReactorResourceFactory} bean: Spring Boot's reactor-netty server (and WebClient) run on its loops.
 * {@code GET /} answers {@code Hello, World!}, {@code POST /echo} the request body with its content type,
 * {@code GET /transport} the choice and the channel class serving the request.
 * <pre>
 * java -Duserpoll.transport=userpoll:io_uring -jar userpoll-spring-webflux.jar --server.port=8080
 * </pre>
 */
@SpringBootApplication
public class WebfluxEchoApplication {
    public static void main(String[] args) {
        SpringApplication.run(WebfluxEchoApplication.class, args);
    }

    @Bean
    SelectedTransport selectedTransport() {
        return TransportSelector.select();
    }

    /** The few lines a WebFlux app needs: Spring creates the loops through the supplier and disposes them. */
    @Bean
    ReactorResourceFactory reactorResourceFactory(SelectedTransport transport) {
        ReactorResourceFactory factory = new ReactorResourceFactory();
        factory.setUseGlobalResources(false);
        factory.setLoopResourcesSupplier(() -> UserpollLoopResources.create(transport, "webflux"));
        return factory;
    }

    @Bean
    RouterFunction<ServerResponse> routes(SelectedTransport transport) {
        return route()
                .GET("/", r -> ServerResponse.ok().contentType(MediaType.TEXT_PLAIN).bodyValue("Hello, World!"))
                .GET("/transport", r -> ServerResponse.ok().contentType(MediaType.TEXT_PLAIN)
                        .bodyValue(transport.name() + " channel=" + channelClass(r)))
                .POST("/echo", r -> ServerResponse.ok()
                        .contentType(r.headers().contentType().orElse(MediaType.APPLICATION_OCTET_STREAM))
                        .body(r.bodyToFlux(DataBuffer.class), DataBuffer.class))
                .build();
    }

    /** The Netty channel class under a request: reactor-netty's request is its connection. */
    private static String channelClass(ServerRequest request) {
        Object nativeRequest = ServerHttpRequestDecorator.getNativeRequest(request.exchange().getRequest());
        return nativeRequest instanceof Connection c ? c.channel().getClass().getSimpleName() : "unknown";
    }

    @EventListener
    void listening(WebServerInitializedEvent event) {
        SelectedTransport transport = event.getApplicationContext().getBean(SelectedTransport.class);
        System.out.println("spring-webflux-echo listening on http://127.0.0.1:" + event.getWebServer().getPort()
                + "/ transport=" + transport.name());
        System.out.flush();
    }

    @EventListener
    void closing(ContextClosedEvent event) {
        System.out.println("spring-webflux-echo stopping");
        System.out.flush();
    }
}
