"""Factories for the CLI test: `tfjs-torch export 'cli_factory:make' ...` (or the file's path)."""
import torch
import torch.nn as nn


def make():
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 12, 3, padding=1),
                         nn.PixelShuffle(2))


class _Cumsum(nn.Module):
    def forward(self, x):
        return torch.cumsum(x, 1)


def unsupported():
    return nn.Sequential(nn.Conv2d(3, 8, 3), _Cumsum())
