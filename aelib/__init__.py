"""aelib: the thin library behind the book *Learning by Copying*.

Every reusable piece of the book lives here, one concept per module; the chapters in
``book/`` import it, run experiments at a named profile and explain the results.

Modules (and the chapters that use them):

- :mod:`aelib.profiles`       sizes for the ``smoke``, ``cpu`` and ``paper`` scales (all chapters)
- :mod:`aelib.paths`          where state lives (``$AELIB_HOME``), relative paths made absolute, file locks
- :mod:`aelib.identity`       the identity of a run (profile, data bytes, threads, library) and a chapter's key
- :mod:`aelib.seeding`        one ``set_seed`` for every experiment (all chapters)
- :mod:`aelib.data`           shipped photos, photo folders, LSUN church, CIFAR-10 (all chapters)
- :mod:`aelib.corruption`     the essay's corruption ``a_hat = alpha*a + (1-alpha)*n`` (01, 02)
- :mod:`aelib.models`         the registry of model kinds (each with its own parameters) and ``build``; FC
                              autoencoder, U-Nets and a simplified MLP exposing ``E`` and ``D`` (01, 02, 03)
- :mod:`aelib.training`       one trainer (DDP under torchrun, bf16 on GPUs), atomic checkpoints, resume (all)
- :mod:`aelib.cache`          trained models cached under a hash of their configuration (01, 02)
- :mod:`aelib.representation` input representation ``a_g`` by gradient descent on the input (02, 03)
- :mod:`aelib.metrics`        r, g, k, e, PSNR, sliced Wasserstein on pyramid patches (01, 02); nearest
                              training images, spread, high-frequency share, AUC separation (05)
- :mod:`aelib.gaussianity`    normality of pooled deviations, Lyapunov's ratio and its log-log slope (03)
- :mod:`aelib.walk`           the manifold walk ``h <- E(g) + N(0, eps), g <- D(h)`` and "still walking" (04)
- :mod:`aelib.sampler`        diffusion with no diffusion: ``a_{n+1} = c_n O(a_n) + d_n N(0.7, 0.2)`` (05)
- :mod:`aelib.compute`        FLOPs of a training step (any loss) and of sampling, for compute budgets (05, 09)
- :mod:`aelib.batchnorm`      BatchNorm statistics per group / running, output image statistics, the blur
                              test, a local denoise-and-renoise sampler (06)
- :mod:`aelib.attention`      efficient (Shen et al. 2021) and dot-product attention, the attention U-Net
                              and single-attention autoencoders, common-noise evaluation (07)
- :mod:`aelib.memorization`   copying vs memorizing vs generalizing: pixel correlation, the single-example
                              test, disjoint halves by photo, the two-denoiser ladder (08)
- :mod:`aelib.dynamics`       iterates of ``O``, Jacobian spectral radius by power iteration with
                              ``torch.func.jvp``, attractors (08)
- :mod:`aelib.diffusion`      the DDPM baseline: a time-conditioned U-Net, its eps / x_0 losses, DDIM sampling
                              through diffusers' schedulers (09)
- :mod:`aelib.ledger`         the claims ledger and the claims table of the first page (all)
- :mod:`aelib.figures`        saving and showing figures, image grids (all chapters)
- :mod:`aelib.chapter`        the per-chapter context: profile, data, ledger, figures (all)
- :mod:`aelib.distributed`    torchrun process groups, per-rank batch slices (paper runs)
- :mod:`aelib.train`          ``python -m aelib.train``: train the shared models ahead of the chapters
- :mod:`aelib.execute`        papermill execution of the chapters and the site build
"""

__version__ = "0.1.0"
