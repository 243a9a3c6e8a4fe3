"""Reports: completion exports (streamed in constant memory), and reporting credit to regulators (ACCME PARS,
CE Broker) as tracked records, batches and outcomes; their CLI."""
