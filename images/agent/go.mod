module netpol-harness/agent

go 1.22
