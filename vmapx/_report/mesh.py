"""What a device mesh does to a vmap: per-device shapes, the shardings XLA chose, the
collectives it inserted, and (for `bench`) timings on the mesh. One record, `MeshInfo`, is the
`mesh` field of the shape, jaxpr and bench reports when a mesh was asked for (else null)."""

from __future__ import annotations

from dataclasses import dataclass, field

from vmapx._report.common import Shape

# The collectives XLA's SPMD partitioner inserts, as HLO names them.
COLLECTIVES = ("all-gather", "all-reduce", "reduce-scatter", "all-to-all", "collective-permute")


@dataclass(frozen=True)
class MeshLeaf:
    """One input or output leaf on the mesh: its global shape, its sharding (a PartitionSpec
    over the mesh's axes, as text) and the shape each device holds.

    For outputs `expected` is the sharding that keeps the batch where vmap put it (the batch
    axis split over the mesh's batch axis; replicated for an unmapped output) and `flag` says
    XLA chose something else: `replicated` (every device holds it all) or `different`.
    """

    name: str
    shape: Shape
    dtype: str
    sharding: str
    device_shape: Shape
    expected: str | None = None
    flag: str | None = None


@dataclass(frozen=True)
class Collective:
    """One collective in the compiled module (`count` identical ones grouped): its HLO kind,
    result type (`f32[16,1024]`), bytes of that result per device, and where it came from:
    XLA's op_name metadata, the JAX primitive, and the source line of the jaxpr equation;
    `equations`: that primitive's equation numbers in the vmap jaxpr `vmapx jaxpr` shows."""

    kind: str
    shape: str
    bytes: int
    op_name: str | None = None
    primitive: str | None = None
    source: str | None = None
    count: int = 1
    equations: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class MeshTiming:
    """One mesh variant at one batch size: seconds per call (median, IQR), examples per second
    (all devices, and per device), and scaling efficiency: the 1-device time over this time,
    divided by the devices used (1.0 = perfect scaling). `status` as in bench results."""

    variant: str
    batch_size: int
    devices: int
    compile_s: float | None
    median_s: float | None
    iqr_s: float | None
    samples: int
    throughput: float | None = None
    per_device_throughput: float | None = None
    scaling_efficiency: float | None = None
    matches: bool | None = None
    status: str = "timed"
    detail: str | None = None


@dataclass(frozen=True)
class MeshInfo:
    """The mesh (axes in order, name → size), the axis the batch is sharded over, the devices
    (`platform`, how many JAX sees, whether they are simulated CPU devices), this process's
    index among `process_count`, and what the compiled, sharded jit(vmap) does."""

    axes: dict[str, int]
    batch_axis: str
    devices: int
    platform: str
    available: int
    simulated: bool
    inputs: list[MeshLeaf]
    outputs: list[MeshLeaf]
    collectives: list[Collective]
    verdict: str
    remedies: list[str] = field(default_factory=list)
    timings: list[MeshTiming] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    process_index: int = 0
    process_count: int = 1

    @property
    def parallel(self) -> bool:
        """No collective: every device works on its own shard alone."""
        return not self.collectives
