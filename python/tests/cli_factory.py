"""Factories for the CLI test: `python3 -m tfjs_torch export 'cli_factory:make' ...`."""
import torch.nn as nn


def make():
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 12, 3, padding=1),
                         nn.PixelShuffle(2))


def unsupported():
    return nn.Sequential(nn.Conv2d(3, 8, 3), nn.LocalResponseNorm(2))
