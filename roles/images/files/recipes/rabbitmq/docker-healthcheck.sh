#!/usr/bin/env bash
# Health check of the tersane RabbitMQ image: the AMQP listener accepts a TCP
# connection. Listeners open only once the broker has fully booted.
exec 3<>"/dev/tcp/127.0.0.1/${RABBITMQ_NODE_PORT:-5672}"
