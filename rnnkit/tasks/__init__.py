"""Tasks: one module per problem family behind one contract (rnnkit.tasks.contract).

``train(task, run)`` and ``load(path)`` (rnnkit.tasks.lifecycle) do what every task
shares; the registry (rnnkit.tasks.registry) finds tasks and their commands.
"""
